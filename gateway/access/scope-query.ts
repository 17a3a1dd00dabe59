import type { SqlDatabase } from '../store/sql.ts';
import { isScoped, scopeClause, scopeParams, type Viewer } from './viewer.ts';

/** Point checks for single objects, in SQL: a case, a device, an evidence package, an image. */
export class ScopeCheck {
  constructor(private readonly sql: SqlDatabase) {}

  async case(v: Viewer, caseId: string): Promise<boolean> {
    const d = this.sql.dialect;
    return !!(await this.sql.get(
      `SELECT 1 AS x FROM cases WHERE id = @id AND ${scopeClause(d, 'cases.device_id', 'cases.vehicle_id')}`,
      { id: caseId, ...scopeParams(v) },
    ));
  }

  async device(v: Viewer, deviceId: string): Promise<boolean> {
    return !!(await this.sql.get(
      `SELECT 1 AS x FROM devices d0 WHERE d0.id = @id AND ${scopeClause(this.sql.dialect, 'd0.id')}`,
      { id: deviceId, ...scopeParams(v) },
    ));
  }

  /** Evidence is in scope when its box is, or when it belongs to a case in scope. */
  async evidence(v: Viewer, evidenceId: string): Promise<boolean> {
    const d = this.sql.dialect;
    return !!(await this.sql.get(
      `SELECT 1 AS x FROM evidence e LEFT JOIN events ev ON ev.evidence_id = e.id LEFT JOIN cases c ON c.event_id = ev.id
       WHERE e.id = @id AND (${scopeClause(d, 'e.device_id')} OR (c.id IS NOT NULL AND ${scopeClause(d, 'c.device_id', 'c.vehicle_id')}))`,
      { id: evidenceId, ...scopeParams(v) },
    ));
  }

  /** An image is in scope when some evidence in scope names it, or a case in scope has it as an outcome photo. */
  async image(v: Viewer, sha256: string): Promise<boolean> {
    // The whole county also sees an image whose manifest has not arrived yet.
    if (!isScoped(v.scope)) return true;
    const d = this.sql.dialect;
    const ids = await this.sql.all<{ id: string }>(
      `SELECT e.id FROM evidence e, ${d.eachElement('e.body', 'images', 'i')} WHERE ${d.jsonText('i.value', 'sha256')} = ?`,
      [sha256],
    );
    for (const r of ids) if (await this.evidence(v, r.id)) return true;
    // An outcome photo: in scope with the case whose response it records.
    const cases = await this.sql.all<{ id: string }>(
      'SELECT r.case_id AS id FROM response_log l JOIN responses r ON r.id = l.response_id WHERE l.photo = ?',
      [sha256],
    );
    for (const c of cases) if (await this.case(v, c.id)) return true;
    return false;
  }
}
