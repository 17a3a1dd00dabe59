import type Database from 'better-sqlite3';

/** Where a token's holder may look: a village cadre's villages, a police squad's townships. Absent = everywhere. */
export interface Scope {
  villages?: string[];
  townships?: string[];
}

export const isScoped = (s: Scope | undefined): s is Scope => !!s && ((s.villages?.length ?? 0) > 0 || (s.townships?.length ?? 0) > 0);

/**
 * SQL for "this device (and this vehicle's owner) is in the scope": the place of the box, or the
 * village of the vehicle's owner (the cadre follows up their own villagers wherever they were seen).
 */
export function scopeClause(deviceCol: string, vehicleCol?: string): string {
  const device = `EXISTS (SELECT 1 FROM devices sd WHERE sd.id = ${deviceCol} AND (sd.village IN (SELECT value FROM json_each(@scopeVillages)) OR sd.township IN (SELECT value FROM json_each(@scopeTownships))))`;
  const owner = vehicleCol ? ` OR EXISTS (SELECT 1 FROM vehicles sv WHERE sv.id = ${vehicleCol} AND sv.village IN (SELECT value FROM json_each(@scopeVillages)))` : '';
  return `(@scoped = 0 OR ${device}${owner})`;
}

export function scopeParams(s: Scope | undefined): { scoped: number; scopeVillages: string; scopeTownships: string } {
  return { scoped: isScoped(s) ? 1 : 0, scopeVillages: JSON.stringify(s?.villages ?? []), scopeTownships: JSON.stringify(s?.townships ?? []) };
}

/** Point checks for single objects: a case, a device, an evidence package. */
export class ScopeCheck {
  constructor(private readonly db: Database.Database) {}

  case(caseId: string, s: Scope | undefined): boolean {
    if (!isScoped(s)) return true;
    return !!this.db.prepare(`SELECT 1 FROM cases WHERE id = @id AND ${scopeClause('cases.device_id', 'cases.vehicle_id')}`).get({ id: caseId, ...scopeParams(s) });
  }

  device(deviceId: string, s: Scope | undefined): boolean {
    if (!isScoped(s)) return true;
    return !!this.db.prepare(`SELECT 1 FROM devices d0 WHERE d0.id = @id AND ${scopeClause('d0.id')}`).get({ id: deviceId, ...scopeParams(s) });
  }

  /** Evidence is in scope when its box is, or when it belongs to a case in scope. */
  evidence(evidenceId: string, s: Scope | undefined): boolean {
    if (!isScoped(s)) return true;
    return !!this.db
      .prepare(
        `SELECT 1 FROM evidence e LEFT JOIN events ev ON ev.evidence_id = e.id LEFT JOIN cases c ON c.event_id = ev.id
         WHERE e.id = @id AND (${scopeClause('e.device_id')} OR (c.id IS NOT NULL AND ${scopeClause('c.device_id', 'c.vehicle_id')}))`,
      )
      .get({ id: evidenceId, ...scopeParams(s) });
  }

  /** An image is in scope when some evidence in scope names it. */
  image(sha256: string, s: Scope | undefined): boolean {
    if (!isScoped(s)) return true;
    const ids = this.db.prepare("SELECT e.id FROM evidence e, json_each(e.body, '$.images') i WHERE json_extract(i.value, '$.sha256') = ?").all(sha256) as Array<{ id: string }>;
    return ids.some((r) => this.evidence(r.id, s));
  }
}
