import { scopeClause, scopeParams, type Viewer } from '../access/viewer.ts';
import { toRecord, type DeviceRecord } from './device-store.ts';
import type { SelfTestRow, SelfTests } from './selftest-store.ts';
import type { SqlDatabase } from '../store/sql.ts';

/** What the devices table shows beside the registry: the last alarm, battery, open fault tickets. */
export type DeviceListRow = DeviceRecord & { lastAlarmAt: string | null; batteryV: number | null; openTickets: number };

export interface TelemetryPoint {
  ts: string;
  batteryV: number | null;
  solarV: number | null;
  temperatureC: number | null;
  diskFreeMb: number | null;
  outboxPending: number | null;
}

/** Reads of boxes as a viewer may see them: outside the viewer's scope a box is not there. */
export class DeviceQuery {
  constructor(
    private readonly sql: SqlDatabase,
    private readonly reports: SelfTests,
  ) {}

  async list(v: Viewer): Promise<DeviceListRow[]> {
    const d = this.sql.dialect;
    const rows = await this.sql.all<Record<string, unknown>>(
      `SELECT d.*, (SELECT max(e.ts) FROM events e WHERE e.device_id = d.id AND e.severity = 'alarm') AS x_last_alarm,
         ${d.jsonNumber('d.last_telemetry', 'power.batteryV')} AS x_battery,
         (SELECT count(*) FROM tickets t WHERE t.device_id = d.id AND t.closed_at IS NULL) AS x_tickets
       FROM devices d WHERE ${scopeClause(d, 'd.id')} ORDER BY d.id`,
      scopeParams(v),
    );
    return rows.map((r) => ({
      ...toRecord(r),
      lastAlarmAt: (r.x_last_alarm as string | null) ?? null,
      batteryV: (r.x_battery as number | null) ?? null,
      openTickets: Number(r.x_tickets),
    }));
  }

  async get(v: Viewer, id: string): Promise<DeviceRecord | undefined> {
    const row = await this.sql.get<Record<string, unknown>>(
      `SELECT * FROM devices d WHERE d.id = @id AND ${scopeClause(this.sql.dialect, 'd.id')}`,
      { id, ...scopeParams(v) },
    );
    return row && toRecord(row);
  }

  /** Telemetry since `hours` ago, at most ~500 points (every n-th report over long spans); undefined for a box the viewer cannot see. */
  async telemetry(v: Viewer, id: string, hours: number, now = new Date()): Promise<TelemetryPoint[] | undefined> {
    if (!(await this.get(v, id))) return undefined;
    const since = new Date(now.getTime() - hours * 3_600_000).toISOString();
    const { n } = (await this.sql.get<{ n: number }>(
      'SELECT count(*) AS n FROM telemetry WHERE device_id = ? AND ts >= ?',
      [id, since],
    )) as { n: number };
    const every = Math.max(1, Math.ceil(n / 500));
    const d = this.sql.dialect;
    return this.sql.all<TelemetryPoint>(
      `SELECT ts, ${d.jsonNumber('body', 'power.batteryV')} AS "batteryV", ${d.jsonNumber('body', 'power.solarV')} AS "solarV",
         ${d.jsonNumber('body', 'temperatureC')} AS "temperatureC", ${d.jsonNumber('body', 'diskFreeMb')} AS "diskFreeMb",
         ${d.jsonNumber('body', 'outbox.pending')} AS "outboxPending"
       FROM (SELECT ts, body, row_number() OVER (ORDER BY ts) AS k FROM telemetry WHERE device_id = ? AND ts >= ?) sampled
       WHERE (k - 1) % ? = 0 ORDER BY ts`,
      [id, since, every],
    );
  }

  /** The box's self-test reports, newest first; undefined for a box the viewer cannot see. */
  async selftests(v: Viewer, id: string, limit: number): Promise<SelfTestRow[] | undefined> {
    return (await this.get(v, id)) ? await this.reports.list(id, limit) : undefined;
  }
}
