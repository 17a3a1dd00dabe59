import { SQLITE } from '../store/sql-dialect.ts';
import type Database from 'better-sqlite3-multiple-ciphers';
import { isScoped, scopeClause, scopeParams, type Viewer } from './viewer.ts';

/** Point checks for single objects, in SQL: a case, a device, an evidence package, an image. */
export class ScopeCheck {
  constructor(private readonly db: Database.Database) {}

  async case(v: Viewer, caseId: string): Promise<boolean> {
    return !!this.db
      .prepare(`SELECT 1 FROM cases WHERE id = @id AND ${scopeClause(SQLITE, 'cases.device_id', 'cases.vehicle_id')}`)
      .get({ id: caseId, ...scopeParams(v) });
  }

  async device(v: Viewer, deviceId: string): Promise<boolean> {
    return !!this.db
      .prepare(`SELECT 1 FROM devices d0 WHERE d0.id = @id AND ${scopeClause(SQLITE, 'd0.id')}`)
      .get({ id: deviceId, ...scopeParams(v) });
  }

  /** Evidence is in scope when its box is, or when it belongs to a case in scope. */
  async evidence(v: Viewer, evidenceId: string): Promise<boolean> {
    return this.evidenceInScope(v, evidenceId);
  }

  private evidenceInScope(v: Viewer, evidenceId: string): boolean {
    return !!this.db
      .prepare(
        `SELECT 1 FROM evidence e LEFT JOIN events ev ON ev.evidence_id = e.id LEFT JOIN cases c ON c.event_id = ev.id
         WHERE e.id = @id AND (${scopeClause(SQLITE, 'e.device_id')} OR (c.id IS NOT NULL AND ${scopeClause(SQLITE, 'c.device_id', 'c.vehicle_id')}))`,
      )
      .get({ id: evidenceId, ...scopeParams(v) });
  }

  /** An image is in scope when some evidence in scope names it. */
  async image(v: Viewer, sha256: string): Promise<boolean> {
    // The whole county also sees an image whose manifest has not arrived yet.
    if (!isScoped(v.scope)) return true;
    const ids = this.db
      .prepare(
        "SELECT e.id FROM evidence e, json_each(e.body, '$.images') i WHERE json_extract(i.value, '$.sha256') = ?",
      )
      .all(sha256) as Array<{ id: string }>;
    return ids.some((r) => this.evidenceInScope(v, r.id));
  }
}
