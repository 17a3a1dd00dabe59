/** The API's shapes as the dashboard reads them: the shared ones from protocols, the case page's here. */
import type { AlarmItem, ResponseKind, ResponseState } from '../../../protocols/dashboard-api.ts';

export type { AlarmPhoto as Photo, ResponseKind, ResponseState, SessionInfo as Me } from '../../../protocols/dashboard-api.ts';
export type Alarm = AlarmItem;

export interface HistoryEntry {
  from: ResponseState | null;
  to: ResponseState;
  at: string;
  actor: string;
  note: string | null;
}

export interface CaseResponse {
  id: string;
  kind: ResponseKind;
  state: ResponseState;
  ackDeadline: string | null;
  actor: string | null;
  note: string | null;
  recipient: { name?: string; routedBy?: string } | null;
  history: HistoryEntry[];
}

export interface CaseDetail {
  id: string;
  eventId: string;
  deviceId: string;
  kind: string;
  openedAt: string;
  closedAt: string | null;
  closedBy: string | null;
  repeatCount: number;
  responses: CaseResponse[];
  alarm: Alarm | null;
}
