/**
 * What the gateway's HTTP API gives the web dashboard: the shapes both sides agree on. Types
 * only, so the browser bundle can import them without pulling in anything of Node.
 */

/** The three responses of 一报警三响应, and the states a response goes through. */
export type ResponseKind = 'onsite' | 'village' | 'police';
export type ResponseState = 'pending' | 'sent' | 'acknowledged' | 'done' | 'failed' | 'escalated' | 'waived';

export type PixelBox = [number, number, number, number];

/** Who is logged in, and what they may see and do. */
export interface SessionInfo {
  name: string;
  role: 'gateway' | 'admin' | 'police' | 'village' | 'technician';
  scope: { villages?: string[]; townships?: string[] } | null;
  actsOn: readonly ResponseKind[];
  seesPersonalData: boolean;
}

/** The evidence frame and what was recognised on it. */
export interface AlarmPhoto {
  sha256: string;
  url: string;
  width: number;
  height: number;
  boxes: Array<{ what: string; label: string; box: PixelBox }>;
}

/** A row of the alarm list (GET /api/v1/alarms), also the `alarm` of a case. */
export interface AlarmItem {
  id: string;
  deviceId: string;
  kind: string;
  ts: string;
  place: { township: string | null; village: string | null; crossing: string | null; road: string | null };
  /** Masked (鲁P***23) for roles that may not see personal data. */
  plate: { text: string; masked: boolean; score: number | null; colour: string | null } | null;
  vehicle: string | null;
  riders: number | null;
  caseId: string | null;
  closedAt: string | null;
  responses: Partial<Record<ResponseKind, ResponseState>>;
  /** Only for roles that may see evidence. */
  photo: AlarmPhoto | null;
}
