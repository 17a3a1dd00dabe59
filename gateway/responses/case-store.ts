import { scopeClause, scopeParams, type Viewer } from '../access/viewer.ts';
import type { CaseSummary, EventMessage, IdGenerator } from '../../protocols/index.ts';
import type { Recipient } from './directory.ts';
import {
  RESPONSE_KINDS,
  TransitionError,
  checkTransition,
  isFinished,
  type ResponseKind,
  type ResponseState,
} from './response-state.ts';
import type { SqlDatabase, SqlQueryable } from '../store/sql.ts';

export interface ResponseRow {
  id: string;
  caseId: string;
  kind: ResponseKind;
  state: ResponseState;
  ackDeadline: string | null;
  updatedAt: string;
  actor: string | null;
  note: string | null;
  remindedAt: string | null;
  /** Who the notification went to (village cadre, duty squad), as the directory chose. */
  recipient: Recipient | null;
}

export type CaseRow = CaseSummary;

/**
 * Cases and their three responses, with every state change logged (who, when, why). One
 * incident makes one case: re-sent messages and further frames of the same incident fold in.
 * A case closes when all three responses are done or waived.
 */
export class CaseStore {
  private readonly scope: string;
  private readonly withoutCase: string;

  constructor(
    private readonly sql: SqlDatabase,
    private readonly newId: IdGenerator,
    private readonly now: () => Date = () => new Date(),
  ) {
    const d = sql.dialect;
    this.scope = scopeClause(d, 'cases.device_id', 'cases.vehicle_id');
    // An alarm of the kinds given (a JSON array) with no case of its own nor of its incident.
    this.withoutCase = `e.severity = 'alarm' AND e.kind IN (${d.arrayValues('@kinds')})
      AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.event_id = e.id)
      AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.incident_key = e.device_id || ':' || e.incident_id)`;
  }

  /**
   * Open the case for this alarm, or return the one its incident already has. With a matched
   * vehicle, the case counts that vehicle's cases opened since `repeatSince`.
   */
  async open(
    ev: EventMessage,
    vehicle?: { id: string; repeatSince?: string },
  ): Promise<{ case: CaseRow; created: boolean }> {
    const key = ev.incidentId ? `${ev.deviceId}:${ev.incidentId}` : `event:${ev.id}`;
    return this.sql.transaction(async (tx) => {
      const existing = await tx.get<CaseRow>(`${CASE_SELECT} WHERE incident_key = ?`, [key]);
      if (existing) return { case: existing, created: false };
      const id = this.newId();
      const at = this.now().toISOString();
      const earlier = vehicle
        ? (
            (await tx.get<{ n: number }>('SELECT count(*) AS n FROM cases WHERE vehicle_id = ? AND opened_at >= ?', [
              vehicle.id,
              vehicle.repeatSince ?? '',
            ])) as { n: number }
          ).n
        : 0;
      await tx.run(
        'INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at, vehicle_id, repeat_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [id, key, ev.id, ev.deviceId, ev.kind, at, vehicle?.id ?? null, earlier + 1],
      );
      for (const kind of RESPONSE_KINDS) {
        const rid = this.newId();
        await tx.run("INSERT INTO responses (id, case_id, kind, state, updated_at) VALUES (?, ?, ?, 'pending', ?)", [
          rid,
          id,
          kind,
          at,
        ]);
        await this.log(tx, rid, null, 'pending', 'gateway', 'case opened');
      }
      const opened: CaseRow = {
        id,
        eventId: ev.id,
        deviceId: ev.deviceId,
        kind: ev.kind,
        openedAt: at,
        closedAt: null,
        closedBy: null,
        vehicleId: vehicle?.id ?? null,
        repeatCount: earlier + 1,
      };
      return { case: opened, created: true };
    });
  }

  /** Move a response; refuses moves the state machine does not allow, and closes the case when all are finished. */
  async move(
    responseId: string,
    to: ResponseState,
    actor: string,
    note?: string,
    ackDeadline?: string | null,
    photo?: string,
  ): Promise<ResponseRow> {
    return this.sql.transaction(async (tx) => {
      const r = await lockedResponse(tx, responseId);
      checkTransition(r.kind, r.state, to);
      const at = this.now().toISOString();
      await tx.run(
        'UPDATE responses SET state = ?, updated_at = ?, actor = ?, note = ?, ack_deadline = coalesce(?, ack_deadline) WHERE id = ?',
        [to, at, actor, note ?? null, ackDeadline ?? null, responseId],
      );
      await this.log(tx, responseId, r.state, to, actor, note, photo);
      if (isFinished(to) && (await responseRows(tx, r.caseId)).every((x) => isFinished(x.state))) {
        await tx.run('UPDATE cases SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL', [
          at,
          actor,
          r.caseId,
        ]);
      }
      return { ...r, state: to, updatedAt: at, actor, note: note ?? null, ackDeadline: ackDeadline ?? r.ackDeadline };
    });
  }

  /**
   * Take back a finished response (a wrong outcome recorded, a waiver withdrawn): it goes back to
   * acknowledged, with the reason logged, and its case is open again.
   */
  async reopen(responseId: string, actor: string, reason: string): Promise<ResponseRow> {
    return this.sql.transaction(async (tx) => {
      const r = await lockedResponse(tx, responseId);
      if (!isFinished(r.state))
        throw new TransitionError(`the ${r.kind} response is ${r.state}, not finished: there is nothing to reopen`);
      const at = this.now().toISOString();
      const note = `reopened: ${reason}`;
      await tx.run("UPDATE responses SET state = 'acknowledged', updated_at = ?, actor = ?, note = ? WHERE id = ?", [
        at,
        actor,
        note,
        responseId,
      ]);
      await this.log(tx, responseId, r.state, 'acknowledged', actor, note);
      await tx.run('UPDATE cases SET closed_at = NULL, closed_by = NULL WHERE id = ?', [r.caseId]);
      return (await responseRow(tx, responseId)) as ResponseRow;
    });
  }

  async getCase(id: string): Promise<CaseRow | undefined> {
    return this.sql.get<CaseRow>(`${CASE_SELECT} WHERE id = ?`, [id]);
  }

  /** A case as this viewer may see it: outside their scope it is not there. */
  async caseFor(v: Viewer, id: string): Promise<CaseRow | undefined> {
    return this.sql.get<CaseRow>(`${CASE_SELECT} WHERE id = @id AND ${this.scope}`, { id, ...scopeParams(v) });
  }

  /** Newest first, paged by id (ULIDs sort by time); only cases at the viewer's boxes or of their villages' vehicles. */
  async list(v: Viewer, o: { limit: number; before?: string; open?: boolean }): Promise<CaseRow[]> {
    return this.sql.all<CaseRow>(
      `${CASE_SELECT} WHERE (CAST(@before AS TEXT) IS NULL OR id < @before) AND (@open = 0 OR closed_at IS NULL) AND ${this.scope} ORDER BY id DESC LIMIT @limit`,
      { before: o.before ?? null, open: o.open ? 1 : 0, limit: o.limit, ...scopeParams(v) },
    );
  }

  /** A response whose case this viewer may see. */
  async responseFor(v: Viewer, id: string): Promise<ResponseRow | undefined> {
    const r = await this.response(id);
    return r && (await this.caseFor(v, r.caseId)) ? r : undefined;
  }

  async countOpen(): Promise<number> {
    return (
      (await this.sql.get<{ n: number }>('SELECT count(*) AS n FROM cases WHERE closed_at IS NULL')) as { n: number }
    ).n;
  }

  async response(id: string): Promise<ResponseRow | undefined> {
    return responseRow(this.sql, id);
  }

  async responses(caseId: string): Promise<ResponseRow[]> {
    return responseRows(this.sql, caseId);
  }

  async setRecipient(responseId: string, recipient: Recipient | undefined): Promise<void> {
    await this.sql.run('UPDATE responses SET recipient = ? WHERE id = ?', [
      recipient ? JSON.stringify(recipient) : null,
      responseId,
    ]);
  }

  async markReminded(responseId: string): Promise<void> {
    await this.sql.run('UPDATE responses SET reminded_at = ? WHERE id = ?', [this.now().toISOString(), responseId]);
  }

  /**
   * Stored alarms of these kinds received since `since` that have no case, neither their own nor
   * their incident's: what a gateway stopped between storing an alarm and opening its case left
   * behind. Oldest first.
   */
  async alarmsWithoutCase(kinds: string[], since: string, before?: string, limit = 10_000): Promise<EventMessage[]> {
    if (!kinds.length) return [];
    const rows = await this.sql.all<{ body: string }>(
      `SELECT e.body FROM events e WHERE ${this.withoutCase} AND e.received_at >= @since
         AND (CAST(@before AS TEXT) IS NULL OR e.received_at < @before) ORDER BY e.id LIMIT @limit`,
      { kinds: JSON.stringify(kinds), since, before: before ?? null, limit },
    );
    return rows.map((r) => JSON.parse(r.body) as EventMessage);
  }

  /** How many of those were received before `before` (too old to act on now). */
  async countAlarmsWithoutCase(kinds: string[], before: string): Promise<number> {
    if (!kinds.length) return 0;
    return (
      (await this.sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM events e WHERE ${this.withoutCase} AND e.received_at < @before`,
        { kinds: JSON.stringify(kinds), before },
      )) as { n: number }
    ).n;
  }

  /**
   * Take the sending of a pending response for a while: false when it is no longer pending or
   * another worker holds it. Workers sharing the database send each response once; one that died
   * sending lets its claim run out, and the response is sent again under the same key.
   */
  async claim(responseId: string, worker: string, now: Date, leaseS: number): Promise<boolean> {
    const r = await this.sql.run(
      `UPDATE responses SET claimed_by = @worker, claimed_until = @until
        WHERE id = @id AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < @now OR claimed_by = @worker)`,
      {
        id: responseId,
        worker,
        now: now.toISOString(),
        until: new Date(now.getTime() + leaseS * 1000).toISOString(),
      },
    );
    return r.changes === 1;
  }

  /** Workers holding claims on pending responses. */
  async claimants(): Promise<string[]> {
    const rows = await this.sql.all<{ w: string }>(
      "SELECT DISTINCT claimed_by AS w FROM responses WHERE state = 'pending' AND claimed_by IS NOT NULL",
    );
    return rows.map((r) => r.w);
  }

  /** Let go of a worker's claims: it stopped, or it is gone. */
  async releaseClaims(worker: string): Promise<number> {
    return (
      await this.sql.run(
        "UPDATE responses SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND state = 'pending'",
        [worker],
      )
    ).changes;
  }

  /** Pending responses nobody is sending (never claimed, or the claim ran out), last changed before `before` if given. */
  async unclaimed(now: Date, before?: string): Promise<ResponseRow[]> {
    return (
      await this.sql.all<RawResponse>(
        `${RESPONSE_SELECT} WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < @now)
           AND (CAST(@before AS TEXT) IS NULL OR updated_at < @before) ORDER BY updated_at LIMIT 1000`,
        { now: now.toISOString(), before: before ?? null },
      )
    ).map(toResponse);
  }

  /** Sent responses waiting on a deadline: those due by `dueBy`, or (notifications) the village and police ones. */
  async sent(o: { dueBy?: string; notifications?: boolean }): Promise<ResponseRow[]> {
    return (
      await this.sql.all<RawResponse>(
        `${RESPONSE_SELECT} WHERE state = 'sent' AND ack_deadline IS NOT NULL AND (CAST(@dueBy AS TEXT) IS NULL OR ack_deadline <= @dueBy)
           AND (@notifications = 0 OR kind != 'onsite') ORDER BY ack_deadline`,
        { dueBy: o.dueBy ?? null, notifications: o.notifications ? 1 : 0 },
      )
    ).map(toResponse);
  }

  async history(
    responseId: string,
  ): Promise<
    Array<{ from: string | null; to: string; at: string; actor: string; note: string | null; photo?: string }>
  > {
    const rows = await this.sql.all<{
      from: string | null;
      to: string;
      at: string;
      actor: string;
      note: string | null;
      photo: string | null;
    }>(
      'SELECT from_state AS "from", to_state AS "to", at, actor, note, photo FROM response_log WHERE response_id = ? ORDER BY seq',
      [responseId],
    );
    return rows.map(({ photo, ...h }) => (photo ? { ...h, photo } : h));
  }

  private async log(
    tx: SqlQueryable,
    responseId: string,
    from: ResponseState | null,
    to: ResponseState,
    actor: string,
    note?: string,
    photo?: string,
  ): Promise<void> {
    await tx.run(
      'INSERT INTO response_log (response_id, from_state, to_state, at, actor, note, photo) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [responseId, from, to, this.now().toISOString(), actor, note ?? null, photo ?? null],
    );
  }
}

const CASE_SELECT =
  'SELECT id, event_id AS "eventId", device_id AS "deviceId", kind, opened_at AS "openedAt", closed_at AS "closedAt", closed_by AS "closedBy", vehicle_id AS "vehicleId", repeat_count AS "repeatCount" FROM cases';
const RESPONSE_SELECT =
  'SELECT id, case_id AS "caseId", kind, state, ack_deadline AS "ackDeadline", updated_at AS "updatedAt", actor, note, reminded_at AS "remindedAt", recipient FROM responses';

type RawResponse = Omit<ResponseRow, 'recipient'> & { recipient: string | null };
const toResponse = (r: RawResponse): ResponseRow => ({
  ...r,
  recipient: r.recipient ? (JSON.parse(r.recipient) as Recipient) : null,
});

async function responseRow(q: SqlQueryable, id: string): Promise<ResponseRow | undefined> {
  const row = await q.get<RawResponse>(`${RESPONSE_SELECT} WHERE id = ?`, [id]);
  return row && toResponse(row);
}

/**
 * A response read for a change, with its case locked until the transaction ends: moves of one
 * case's responses then happen one after another, so the last one to finish sees the others
 * finished and closes the case.
 */
async function lockedResponse(tx: SqlQueryable, id: string): Promise<ResponseRow> {
  const caseId = (await tx.get<{ caseId: string }>('SELECT case_id AS "caseId" FROM responses WHERE id = ?', [id]))
    ?.caseId;
  if (!caseId) throw Object.assign(new Error(`no response ${id}`), { code: 'not_found' });
  await tx.get(`SELECT id FROM cases WHERE id = ?${tx.dialect.forUpdate}`, [caseId]);
  return (await responseRow(tx, id)) as ResponseRow;
}

async function responseRows(q: SqlQueryable, caseId: string): Promise<ResponseRow[]> {
  return (
    await q.all<RawResponse>(
      `${RESPONSE_SELECT} WHERE case_id = ? ORDER BY CASE kind WHEN 'onsite' THEN 0 WHEN 'village' THEN 1 ELSE 2 END`,
      [caseId],
    )
  ).map(toResponse);
}
