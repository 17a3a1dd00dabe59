import { SQLITE } from '../store/sql-dialect.ts';
import type Database from 'better-sqlite3-multiple-ciphers';
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
import { writeBatch } from '../store/write-batch.ts';

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
  constructor(
    private readonly db: Database.Database,
    private readonly newId: IdGenerator,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Open the case for this alarm, or return the one its incident already has. With a matched
   * vehicle, the case counts that vehicle's cases opened since `repeatSince`.
   */
  async open(
    ev: EventMessage,
    vehicle?: { id: string; repeatSince?: string },
  ): Promise<{ case: CaseRow; created: boolean }> {
    const key = ev.incidentId ? `${ev.deviceId}:${ev.incidentId}` : `event:${ev.id}`;
    return writeBatch(this.db).write(() => {
      const existing = this.caseByKey(key);
      if (existing) return { case: existing, created: false };
      const id = this.newId();
      const at = this.now().toISOString();
      const earlier = vehicle
        ? (
            this.db
              .prepare('SELECT count(*) AS n FROM cases WHERE vehicle_id = ? AND opened_at >= ?')
              .get(vehicle.id, vehicle.repeatSince ?? '') as { n: number }
          ).n
        : 0;
      this.db
        .prepare(
          'INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at, vehicle_id, repeat_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(id, key, ev.id, ev.deviceId, ev.kind, at, vehicle?.id ?? null, earlier + 1);
      for (const kind of RESPONSE_KINDS) {
        const rid = this.newId();
        this.db
          .prepare("INSERT INTO responses (id, case_id, kind, state, updated_at) VALUES (?, ?, ?, 'pending', ?)")
          .run(rid, id, kind, at);
        this.log(rid, null, 'pending', 'gateway', 'case opened');
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
  ): Promise<ResponseRow> {
    return writeBatch(this.db).write(() => {
      const r = this.responseRow(responseId);
      if (!r) throw Object.assign(new Error(`no response ${responseId}`), { code: 'not_found' });
      checkTransition(r.kind, r.state, to);
      const at = this.now().toISOString();
      this.db
        .prepare(
          'UPDATE responses SET state = ?, updated_at = ?, actor = ?, note = ?, ack_deadline = coalesce(?, ack_deadline) WHERE id = ?',
        )
        .run(to, at, actor, note ?? null, ackDeadline ?? null, responseId);
      this.log(responseId, r.state, to, actor, note);
      if (isFinished(to) && this.responseRows(r.caseId).every((x) => isFinished(x.state))) {
        this.db
          .prepare('UPDATE cases SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL')
          .run(at, actor, r.caseId);
      }
      return { ...r, state: to, updatedAt: at, actor, note: note ?? null, ackDeadline: ackDeadline ?? r.ackDeadline };
    });
  }

  /**
   * Take back a finished response (a wrong outcome recorded, a waiver withdrawn): it goes back to
   * acknowledged, with the reason logged, and its case is open again.
   */
  async reopen(responseId: string, actor: string, reason: string): Promise<ResponseRow> {
    return writeBatch(this.db).write(() => {
      const r = this.responseRow(responseId);
      if (!r) throw Object.assign(new Error(`no response ${responseId}`), { code: 'not_found' });
      if (!isFinished(r.state))
        throw new TransitionError(`the ${r.kind} response is ${r.state}, not finished: there is nothing to reopen`);
      const at = this.now().toISOString();
      const note = `reopened: ${reason}`;
      this.db
        .prepare("UPDATE responses SET state = 'acknowledged', updated_at = ?, actor = ?, note = ? WHERE id = ?")
        .run(at, actor, note, responseId);
      this.log(responseId, r.state, 'acknowledged', actor, note);
      this.db.prepare('UPDATE cases SET closed_at = NULL, closed_by = NULL WHERE id = ?').run(r.caseId);
      return this.responseRow(responseId)!;
    });
  }

  async getCase(id: string): Promise<CaseRow | undefined> {
    return this.db.prepare(`${CASE_SELECT} WHERE id = ?`).get(id) as CaseRow | undefined;
  }

  /** A case as this viewer may see it: outside their scope it is not there. */
  async caseFor(v: Viewer, id: string): Promise<CaseRow | undefined> {
    return this.db.prepare(`${CASE_SELECT} WHERE id = @id AND ${SCOPE}`).get({ id, ...scopeParams(v) }) as
      | CaseRow
      | undefined;
  }

  /** Newest first, paged by id (ULIDs sort by time); only cases at the viewer's boxes or of their villages' vehicles. */
  async list(v: Viewer, o: { limit: number; before?: string; open?: boolean }): Promise<CaseRow[]> {
    return this.db
      .prepare(
        `${CASE_SELECT} WHERE (@before IS NULL OR id < @before) AND (@open = 0 OR closed_at IS NULL) AND ${SCOPE} ORDER BY id DESC LIMIT @limit`,
      )
      .all({ before: o.before ?? null, open: o.open ? 1 : 0, limit: o.limit, ...scopeParams(v) }) as CaseRow[];
  }

  /** A response whose case this viewer may see. */
  async responseFor(v: Viewer, id: string): Promise<ResponseRow | undefined> {
    const r = await this.response(id);
    return r && (await this.caseFor(v, r.caseId)) ? r : undefined;
  }

  async countOpen(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM cases WHERE closed_at IS NULL').get() as { n: number }).n;
  }

  async response(id: string): Promise<ResponseRow | undefined> {
    return this.responseRow(id);
  }

  async responses(caseId: string): Promise<ResponseRow[]> {
    return this.responseRows(caseId);
  }

  private responseRow(id: string): ResponseRow | undefined {
    const row = this.db.prepare(`${RESPONSE_SELECT} WHERE id = ?`).get(id) as RawResponse | undefined;
    return row && toResponse(row);
  }

  private responseRows(caseId: string): ResponseRow[] {
    return (
      this.db
        .prepare(
          `${RESPONSE_SELECT} WHERE case_id = ? ORDER BY CASE kind WHEN 'onsite' THEN 0 WHEN 'village' THEN 1 ELSE 2 END`,
        )
        .all(caseId) as RawResponse[]
    ).map(toResponse);
  }

  async setRecipient(responseId: string, recipient: Recipient | undefined): Promise<void> {
    await writeBatch(this.db).run(() =>
      this.db
        .prepare('UPDATE responses SET recipient = ? WHERE id = ?')
        .run(recipient ? JSON.stringify(recipient) : null, responseId),
    );
  }

  async markReminded(responseId: string): Promise<void> {
    await writeBatch(this.db).run(() =>
      this.db.prepare('UPDATE responses SET reminded_at = ? WHERE id = ?').run(this.now().toISOString(), responseId),
    );
  }

  /**
   * Stored alarms of these kinds received since `since` that have no case, neither their own nor
   * their incident's: what a gateway stopped between storing an alarm and opening its case left
   * behind. Oldest first.
   */
  async alarmsWithoutCase(kinds: string[], since: string, limit = 10_000): Promise<EventMessage[]> {
    if (!kinds.length) return [];
    const rows = this.db
      .prepare(`SELECT e.body FROM events e WHERE ${WITHOUT_CASE} AND e.received_at >= ? ORDER BY e.id LIMIT ?`)
      .all(JSON.stringify(kinds), since, limit) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as EventMessage);
  }

  /** How many of those were received before `before` (too old to act on now). */
  async countAlarmsWithoutCase(kinds: string[], before: string): Promise<number> {
    if (!kinds.length) return 0;
    return (
      this.db
        .prepare(`SELECT count(*) AS n FROM events e WHERE ${WITHOUT_CASE} AND e.received_at < ?`)
        .get(JSON.stringify(kinds), before) as { n: number }
    ).n;
  }

  /** Responses that are not finished: what to resume after a restart. */
  async unfinished(): Promise<ResponseRow[]> {
    return (
      this.db
        .prepare(`${RESPONSE_SELECT} WHERE state NOT IN ('done', 'waived') ORDER BY updated_at`)
        .all() as RawResponse[]
    ).map(toResponse);
  }

  /** Sent responses waiting on a deadline: those due by `dueBy`, or (notifications) the village and police ones. */
  async sent(o: { dueBy?: string; notifications?: boolean }): Promise<ResponseRow[]> {
    return (
      this.db
        .prepare(
          `${RESPONSE_SELECT} WHERE state = 'sent' AND ack_deadline IS NOT NULL AND (? IS NULL OR ack_deadline <= ?) AND (? = 0 OR kind != 'onsite') ORDER BY ack_deadline`,
        )
        .all(o.dueBy ?? null, o.dueBy ?? null, o.notifications ? 1 : 0) as RawResponse[]
    ).map(toResponse);
  }

  async history(
    responseId: string,
  ): Promise<Array<{ from: string | null; to: string; at: string; actor: string; note: string | null }>> {
    return this.db
      .prepare(
        'SELECT from_state AS "from", to_state AS "to", at, actor, note FROM response_log WHERE response_id = ? ORDER BY seq',
      )
      .all(responseId) as Array<{ from: string | null; to: string; at: string; actor: string; note: string | null }>;
  }

  private caseByKey(key: string): CaseRow | undefined {
    return this.db.prepare(`${CASE_SELECT} WHERE incident_key = ?`).get(key) as CaseRow | undefined;
  }

  private log(responseId: string, from: ResponseState | null, to: ResponseState, actor: string, note?: string): void {
    this.db
      .prepare(
        'INSERT INTO response_log (response_id, from_state, to_state, at, actor, note) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(responseId, from, to, this.now().toISOString(), actor, note ?? null);
  }
}

const SCOPE = scopeClause(SQLITE, 'cases.device_id', 'cases.vehicle_id');
/** An alarm of the kinds given (a JSON array) with no case of its own nor of its incident. */
const WITHOUT_CASE = `e.severity = 'alarm' AND e.kind IN (SELECT value FROM json_each(?))
  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.event_id = e.id)
  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.incident_key = e.device_id || ':' || e.incident_id)`;
const CASE_SELECT =
  'SELECT id, event_id AS eventId, device_id AS deviceId, kind, opened_at AS openedAt, closed_at AS closedAt, closed_by AS closedBy, vehicle_id AS vehicleId, repeat_count AS repeatCount FROM cases';
const RESPONSE_SELECT =
  'SELECT id, case_id AS caseId, kind, state, ack_deadline AS ackDeadline, updated_at AS updatedAt, actor, note, reminded_at AS remindedAt, recipient FROM responses';

type RawResponse = Omit<ResponseRow, 'recipient'> & { recipient: string | null };
const toResponse = (r: RawResponse): ResponseRow => ({
  ...r,
  recipient: r.recipient ? (JSON.parse(r.recipient) as Recipient) : null,
});
