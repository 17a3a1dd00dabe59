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
  /** the models that looked at the frame, the vehicle detector first (which one decided) */
  models: string[];
}

/** A row of the alarm list (GET /api/v1/alarms), also the `alarm` of a case. */
export interface AlarmItem {
  id: string;
  deviceId: string;
  kind: string;
  ts: string;
  place: { township: string | null; village: string | null; crossing: string | null; road: string | null };
  /**
   * Masked (鲁P***23) for roles that may not see personal data. `uncertain`: positions the box read
   * below its threshold — such a plate is a lead to check, not the vehicle's identity.
   */
  plate: {
    text: string;
    masked: boolean;
    score: number | null;
    colour: string | null;
    confidence: number | null;
    uncertain: number[];
  } | null;
  vehicle: string | null;
  riders: number | null;
  caseId: string | null;
  closedAt: string | null;
  responses: Partial<Record<ResponseKind, ResponseState>>;
  /** Only for roles that may see evidence. */
  photo: AlarmPhoto | null;
}

/** Cases per week (Monday), township, village and kind (GET /api/v1/reports/weekly). */
export interface WeeklyRow {
  week: string;
  township: string | null;
  village: string | null;
  kind: string;
  cases: number;
}

/** A plate with several cases (GET /api/v1/reports/repeat-offenders); masked unless asked in full. */
export interface RepeatOffender {
  plate: string;
  masked: boolean;
  vehicleId: string | null;
  owner: string | null;
  ownerVillage: string | null;
  cases: number;
  lastAt: string;
  seenAt: string[];
}

/** A vehicle on file (三见面一建档) with its owner and driver. */
export interface ArchiveVehicle {
  id: string;
  plate: string | null;
  class: string;
  ownerName: string | null;
  ownerPhone: string | null;
  driverName: string | null;
  township: string | null;
  village: string | null;
}

/** What an archive CSV import found (and, with commit, wrote). */
export interface ImportReport {
  rows: number;
  valid: number;
  added: number;
  updated: number;
  problems: Array<{ line: number; errors: string[] }>;
  committed: boolean;
}

/** A case (one per incident) and where it stands. */
export interface CaseSummary {
  id: string;
  eventId: string;
  deviceId: string;
  kind: string;
  openedAt: string;
  closedAt: string | null;
  closedBy: string | null;
  vehicleId: string | null;
  /** This vehicle's cases within the plan's repeat window, this one included. */
  repeatCount: number;
}

/** A self-test report as the device record lists it. */
export interface SelfTestSummary {
  id: string;
  ts: string;
  receivedAt: string;
  ok: boolean;
  by?: string;
  /** A technician at the roadside, or a `self_test` command from the centre. */
  trigger: 'technician' | 'command';
  /** What failed, by device and check. */
  failed: string[];
}

/** Where a box stands: its place in the county (一路一档). */
export interface DevicePlace {
  id: string;
  name?: string;
  road?: string;
  crossing?: string;
  township?: string;
  village?: string;
  lat?: number;
  lon?: number;
}

/** GET /api/v1/response-plans: the plans in force (channel names and types only, never their secrets). */
export interface ResponsePlansSummary {
  /** No `responses:` in the config: the default plan, people told on the dashboard only. */
  default: boolean;
  channels: Array<{ name: string; type: string }>;
  plans: Array<{
    kinds: string[];
    onsite: Record<string, unknown>;
    village: { channel: string; ackDeadlineS: number };
    police: { channel: string; ackDeadlineS: number };
  }>;
  /** Alarm kinds no plan covers: stored, but no case opens. */
  uncovered: string[];
}

/** A rollout of a box update (GET /api/v1/ota/rollouts). */
export interface RolloutRow {
  id: string;
  sha256: string;
  state: 'canary' | 'rolling' | 'paused' | 'done' | 'halted' | 'cancelled';
  canaryPercent: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  /** why it stopped (halted, paused or cancelled, and by whom), or null */
  haltedReason: string | null;
}

/** One rollout with its bundle, counts per state and every box (GET /api/v1/ota/rollouts/:id). */
export interface RolloutView extends RolloutRow {
  bundle: { name: string; version: string; sha256: string };
  counts: Record<string, number>;
  targets: Array<{
    deviceId: string;
    stage: 'canary' | 'rest';
    state: string;
    reason: string | null;
    sentAt: string | null;
    updatedAt: string;
  }>;
}
