/** The API's shapes as the dashboard reads them: the shared ones from protocols, the case page's here. */
import type {
  AlarmItem,
  ArchiveVehicle as ArchiveRecord,
  CaseSummary,
  DevicePlace,
  ResponseKind,
  ResponseState,
} from '../../../protocols/dashboard-api.ts';

export type {
  RolloutRow,
  RolloutView,
  AlarmPhoto as Photo,
  ImportReport,
  RepeatOffender as Offender,
  ResponsePlansSummary as ResponsePlans,
  ResponseKind,
  ResponseState,
  SelfTestSummary as SelfTestRow,
  SessionInfo as Me,
  WeeklyRow,
} from '../../../protocols/dashboard-api.ts';
export type ArchiveVehicle = ArchiveRecord & { cases: number };
export type Alarm = AlarmItem;

export interface HistoryEntry {
  from: ResponseState | null;
  to: ResponseState;
  at: string;
  actor: string;
  note: string | null;
  /** SHA-256 of the outcome's photo (GET /api/v1/images/:sha256) */
  photo?: string;
}

export interface CaseResponse {
  id: string;
  kind: ResponseKind;
  state: ResponseState;
  ackDeadline: string | null;
  actor: string | null;
  note: string | null;
  recipient: { name?: string; phone?: string; routedBy?: string } | null;
  history: HistoryEntry[];
}

export interface CaseDetail extends CaseSummary {
  responses: CaseResponse[];
  alarm: Alarm | null;
  /** The archive's record of the vehicle the plate matched, for roles that may see it. */
  vehicle: ArchiveRecord | null;
  /** Not the vehicle, only who it may be: the plate was read unsure, or the archive's is one confusion away. */
  lead: { plate: string; confidence: number; reason: string; vehicle: ArchiveRecord } | null;
}

export interface DeviceRow extends DevicePlace {
  state: string;
  lastSeen: string | null;
  flags: string[];
  lastAlarmAt?: string | null;
  batteryV?: number | null;
  openTickets?: number;
}

export interface MapArea {
  name: string;
  level: string;
  polygons: Array<Array<Array<[number, number]>>>;
}

export interface TelemetryPoint {
  ts: string;
  batteryV: number | null;
  solarV: number | null;
  temperatureC: number | null;
  diskFreeMb: number | null;
  outboxPending: number | null;
}
