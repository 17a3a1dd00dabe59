import type {
  Alarm,
  ArchiveVehicle,
  CaseDetail,
  DeviceRow,
  ImportReport,
  MapArea,
  Me,
  Offender,
  ResponsePlans,
  RolloutRow,
  RolloutView,
  SelfTestRow,
  TelemetryPoint,
  WeeklyRow,
} from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON over the gateway's API; the session cookie rides along (same origin). */
async function call<T>(method: string, path: string, body?: unknown, csv?: string): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers:
      csv !== undefined
        ? { 'content-type': 'text/csv' }
        : body === undefined
          ? {}
          : { 'content-type': 'application/json' },
    body: csv ?? (body === undefined ? undefined : JSON.stringify(body)),
    credentials: 'same-origin',
  });
  const data = (await res.json().catch(() => ({}))) as { message?: string };
  // The archive import answers 422 with its report: that is a result to show, not a failure.
  // The session ended (expired, logged out elsewhere): the app goes back to the log-in page.
  if (res.status === 401 && path !== '/session') dispatchEvent(new Event('rw-logged-out'));
  if (!res.ok && !(res.status === 422 && csv !== undefined))
    throw new ApiError(res.status, data.message ?? res.statusText);
  return data as T;
}

export type RolloutAction = 'pause' | 'resume' | 'cancel';

export const api = {
  rollouts: () => call<{ items: RolloutRow[] }>('GET', '/ota/rollouts').then((r) => r.items),
  rollout: (id: string) => call<RolloutView>('GET', `/ota/rollouts/${encodeURIComponent(id)}`),
  moveRollout: (id: string, action: RolloutAction) =>
    call<RolloutView>('POST', `/ota/rollouts/${encodeURIComponent(id)}/${action}`, {}),
  me: () => call<Me>('GET', '/session'),
  login: (username: string, password: string) => call<Me>('POST', '/session', { username, password }),
  logout: () => call<unknown>('DELETE', '/session'),
  accessLog: () =>
    call<Array<{ at: string; actor: string; role: string; what: string; subject: string }>>(
      'GET',
      '/access-log?limit=200',
    ),
  alarms: (before?: string, filter?: 'open' | 'overdue') =>
    call<{ items: Alarm[]; next: string | null }>(
      'GET',
      `/alarms?limit=50${before ? `&before=${encodeURIComponent(before)}` : ''}${filter ? `&filter=${filter}` : ''}`,
    ),
  plans: () => call<ResponsePlans>('GET', '/response-plans'),
  case: (id: string) => call<CaseDetail>('GET', `/cases/${encodeURIComponent(id)}`),
  faceMatches: (id: string) =>
    call<{
      matches: Array<{
        plate: string;
        similarity: number;
        capturedAt: string;
        deviceId: string;
        vehicle: { vehicle: { ownerName: string | null; village: string | null } } | null;
      }>;
    }>('GET', `/cases/${encodeURIComponent(id)}/face-matches`),
  devices: () => call<DeviceRow[]>('GET', '/devices'),
  device: (id: string) =>
    call<DeviceRow & { selftests: SelfTestRow[]; openTickets: Array<{ id: string; kind: string; openedAt: string }> }>(
      'GET',
      `/devices/${encodeURIComponent(id)}`,
    ),
  telemetry: (id: string, hours = 24) =>
    call<TelemetryPoint[]>('GET', `/devices/${encodeURIComponent(id)}/telemetry?hours=${hours}`),
  selfTest: (id: string) => call<{ commandId: string }>('POST', `/devices/${encodeURIComponent(id)}/self-test`, {}),
  map: () =>
    call<MapArea[]>('GET', '/map').catch((e: unknown) =>
      e instanceof ApiError && e.status === 404 ? null : Promise.reject(e),
    ),
  weekly: (weeks: number) => call<WeeklyRow[]>('GET', `/reports/weekly?weeks=${weeks}`),
  offenders: (full: boolean) => call<Offender[]>('GET', `/reports/repeat-offenders${full ? '?full=true' : ''}`),
  searchArchive: (q: string) => call<ArchiveVehicle[]>('GET', `/archive/vehicles?q=${encodeURIComponent(q)}`),
  importArchive: (csv: string, commit: boolean) =>
    call<ImportReport>('POST', `/archive/import${commit ? '?commit=true' : ''}`, undefined, csv),
  act: (responseId: string, verb: 'acknowledge' | 'complete' | 'waive' | 'reopen', text?: string, photo?: string) =>
    call<unknown>(
      'POST',
      `/responses/${encodeURIComponent(responseId)}/${verb}`,
      verb === 'waive' || verb === 'reopen'
        ? { reason: text ?? '' }
        : verb === 'complete'
          ? { outcome: text ?? '', ...(photo ? { photo } : {}) }
          : text
            ? { note: text }
            : {},
    ),
};

/**
 * Live updates: calls `onChange` (at most every 250 ms) when an alarm arrives or a case or
 * response changes in the user's scope, and reports whether the stream is up. EventSource
 * reconnects by itself; a reconnect also refreshes, in case something was missed.
 */
export function followLive(onChange: () => void, onState: (up: boolean) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, 250);
  };
  const es = new EventSource('/api/v1/stream');
  es.addEventListener('hello', () => {
    onState(true);
    soon();
  });
  for (const e of ['alarm', 'case', 'response']) es.addEventListener(e, soon);
  es.onerror = () => onState(false);
  return () => {
    clearTimeout(timer);
    es.close();
  };
}
