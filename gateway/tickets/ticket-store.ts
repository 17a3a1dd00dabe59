import type { IdGenerator } from '../../protocols/index.ts';
import { scopeClause, scopeParams, SYSTEM, type Viewer } from '../access/viewer.ts';
import type { SqlDatabase, SqlQueryable } from '../store/sql.ts';

/** 'offline' (no sign of life for N minutes) or a health flag the box reports (lamp_fault, low_battery …). */
export type TicketKind = string;

export interface Ticket {
  id: string;
  deviceId: string;
  kind: TicketKind;
  township: string | null;
  team: string | null;
  openedAt: string;
  /** Last time the fault was reported; a self-test must come after this to close the ticket. */
  lastSeenAt: string;
  seen: number;
  detail: string | null;
  /** When the box stopped reporting the fault (the ticket stays open until 销号). */
  clearedAt: string | null;
  closedAt: string | null;
  closedBy: string | null;
  note: string | null;
  selftestId: string | null;
}

export interface TicketQuery {
  open?: boolean;
  township?: string;
  deviceId?: string;
  limit?: number;
  before?: string;
}

export interface TownshipSummary {
  township: string;
  team: string | null;
  opened: number;
  closed: number;
  openAtEnd: number;
  openedByKind: Record<string, number>;
}

const COLUMNS = `id, device_id AS "deviceId", kind, township, team, opened_at AS "openedAt", last_seen_at AS "lastSeenAt", seen, detail,
  cleared_at AS "clearedAt", closed_at AS "closedAt", closed_by AS "closedBy", note, selftest_id AS "selftestId"`;

/** Fault tickets (故障工单): at most one open ticket per device and kind; 销号 records who, why and the self-test. */
export class TicketStore {
  constructor(
    private readonly sql: SqlDatabase,
    private readonly newId: IdGenerator,
  ) {}

  /** Open a ticket, or note that the fault was seen again on the open one. Returns the ticket and whether it is new. */
  async report(t: {
    deviceId: string;
    kind: TicketKind;
    township?: string;
    team?: string;
    detail?: string;
    at: string;
  }): Promise<{
    ticket: Ticket;
    opened: boolean;
  }> {
    return this.sql.transaction(async (tx) => {
      const open = await openRow(tx, t.deviceId, t.kind);
      if (open) {
        await tx.run(
          'UPDATE tickets SET last_seen_at = ?, seen = seen + 1, cleared_at = NULL, detail = coalesce(?, detail) WHERE id = ?',
          [t.at, t.detail ?? null, open.id],
        );
        return { ticket: (await row(tx, open.id)) as Ticket, opened: false };
      }
      const id = this.newId();
      await tx.run(
        'INSERT INTO tickets (id, device_id, kind, township, team, opened_at, last_seen_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [id, t.deviceId, t.kind, t.township ?? null, t.team ?? null, t.at, t.at, t.detail ?? null],
      );
      return { ticket: (await row(tx, id)) as Ticket, opened: true };
    });
  }

  /** The box no longer reports this fault. */
  async cleared(deviceId: string, kind: TicketKind, at: string): Promise<boolean> {
    return (
      (
        await this.sql.run(
          'UPDATE tickets SET cleared_at = ? WHERE device_id = ? AND kind = ? AND closed_at IS NULL AND cleared_at IS NULL',
          [at, deviceId, kind],
        )
      ).changes > 0
    );
  }

  async openFor(deviceId: string, kind?: TicketKind): Promise<Ticket | undefined> {
    return openRow(this.sql, deviceId, kind);
  }

  async openKinds(deviceId: string): Promise<TicketKind[]> {
    return (
      await this.sql.all<{ kind: string }>('SELECT kind FROM tickets WHERE device_id = ? AND closed_at IS NULL', [
        deviceId,
      ])
    ).map((r) => r.kind);
  }

  async get(id: string): Promise<Ticket | undefined> {
    return row(this.sql, id);
  }

  /** A ticket of a box the viewer may see. */
  async getFor(v: Viewer, id: string): Promise<Ticket | undefined> {
    return this.sql.get<Ticket>(
      `SELECT ${COLUMNS} FROM tickets WHERE id = @id AND ${scopeClause(this.sql.dialect, 'tickets.device_id')}`,
      { id, ...scopeParams(v) },
    );
  }

  /** Tickets of boxes the viewer may see, newest first. */
  async list(v: Viewer, q: TicketQuery = {}): Promise<Ticket[]> {
    const open = q.open === undefined ? null : q.open ? 1 : 0;
    return this.sql.all<Ticket>(
      `SELECT ${COLUMNS} FROM tickets
       WHERE (CAST(@open AS INTEGER) IS NULL OR (@open = 1 AND closed_at IS NULL) OR (@open = 0 AND closed_at IS NOT NULL))
         AND (CAST(@township AS TEXT) IS NULL OR township = @township)
         AND (CAST(@deviceId AS TEXT) IS NULL OR device_id = @deviceId) AND (CAST(@before AS TEXT) IS NULL OR id < @before)
         AND ${scopeClause(this.sql.dialect, 'tickets.device_id')}
       ORDER BY id DESC LIMIT @limit`,
      {
        open,
        township: q.township ?? null,
        deviceId: q.deviceId ?? null,
        before: q.before ?? null,
        limit: q.limit ?? 100,
        ...scopeParams(v),
      },
    );
  }

  async markClosed(id: string, by: string, note: string, selftestId: string, at: string): Promise<Ticket> {
    await this.sql.run(
      'UPDATE tickets SET closed_at = ?, closed_by = ?, note = ?, selftest_id = ? WHERE id = ? AND closed_at IS NULL',
      [at, by, note, selftestId, id],
    );
    return (await this.get(id))!;
  }

  /** The summary of one county day (today at `utcOffset` by default, China: +08:00). */
  async daySummary(
    day: string | undefined,
    utcOffset = '+08:00',
    now = new Date(),
    v: Viewer = SYSTEM,
  ): Promise<DaySummary> {
    const sign = utcOffset.startsWith('-') ? -1 : 1;
    const [h, m] = utcOffset.slice(1).split(':').map(Number);
    const d = day ?? new Date(now.getTime() + sign * (h * 60 + m) * 60_000).toISOString().slice(0, 10);
    const { from, to } = dayBounds(d, utcOffset);
    return { day: d, from, to, townships: await this.summary(from, to, v) };
  }

  /** Per township, for one day [from, to): opened, closed, still open at the end, and what kinds were opened. */
  async summary(from: string, to: string, v: Viewer = SYSTEM): Promise<TownshipSummary[]> {
    const rows = await this.sql.all<{
      township: string;
      team: string | null;
      kind: string;
      opened: number;
      closed: number;
      openAtEnd: number;
    }>(
      `SELECT coalesce(township, '') AS township, team, kind,
         sum(CASE WHEN opened_at >= @from AND opened_at < @to THEN 1 ELSE 0 END) AS opened,
         sum(CASE WHEN closed_at >= @from AND closed_at < @to THEN 1 ELSE 0 END) AS closed,
         sum(CASE WHEN opened_at < @to AND (closed_at IS NULL OR closed_at >= @to) THEN 1 ELSE 0 END) AS "openAtEnd"
       FROM tickets WHERE opened_at < @to AND (closed_at IS NULL OR closed_at >= @from) AND ${scopeClause(this.sql.dialect, 'tickets.device_id')}
       GROUP BY township, team, kind ORDER BY 1, kind`,
      { from, to, ...scopeParams(v) },
    );
    const out = new Map<string, TownshipSummary>();
    for (const r of rows) {
      let s = out.get(r.township);
      if (!s)
        out.set(
          r.township,
          (s = { township: r.township, team: r.team, opened: 0, closed: 0, openAtEnd: 0, openedByKind: {} }),
        );
      s.opened += r.opened;
      s.closed += r.closed;
      s.openAtEnd += r.openAtEnd;
      if (r.opened) s.openedByKind[r.kind] = (s.openedByKind[r.kind] ?? 0) + r.opened;
    }
    return [...out.values()];
  }
}

async function row(q: SqlQueryable, id: string): Promise<Ticket | undefined> {
  return q.get<Ticket>(`SELECT ${COLUMNS} FROM tickets WHERE id = ?`, [id]);
}

async function openRow(q: SqlQueryable, deviceId: string, kind?: TicketKind): Promise<Ticket | undefined> {
  return q.get<Ticket>(
    `SELECT ${COLUMNS} FROM tickets WHERE device_id = @deviceId AND (CAST(@kind AS TEXT) IS NULL OR kind = @kind) AND closed_at IS NULL ORDER BY id LIMIT 1`,
    { deviceId, kind: kind ?? null },
  );
}

export interface DaySummary {
  day: string;
  from: string;
  to: string;
  townships: TownshipSummary[];
}

/** [from, to) in UTC ISO for a calendar day at a fixed offset, e.g. ('2026-11-29', '+08:00'). */
export function dayBounds(day: string, utcOffset = '+08:00'): { from: string; to: string } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError(`day "${day}" should be YYYY-MM-DD`);
  const start = new Date(`${day}T00:00:00${utcOffset}`);
  if (Number.isNaN(start.getTime())) throw new RangeError(`day "${day}" is not a date`);
  return { from: start.toISOString(), to: new Date(start.getTime() + 86_400_000).toISOString() };
}
