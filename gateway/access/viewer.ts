import type { Dialect } from '../store/sql-dialect.ts';
import { can, type Role } from './policy.ts';

/** Where a viewer may look: a village cadre's villages, a police squad's townships. Absent = the whole county. */
export interface Scope {
  villages?: string[];
  townships?: string[];
}

/** Who is asking: every read of devices, cases, alarms, evidence, images, self-tests and the archive takes one. */
export interface Viewer {
  readonly name: string;
  readonly role: Role;
  readonly scope?: Scope;
}

/** The gateway itself (engine, intake, housekeeping): sees everything. */
export const SYSTEM: Viewer = { name: 'roadwarden-gateway', role: 'gateway' };

export const isScoped = (s: Scope | undefined): s is Scope =>
  !!s && ((s.villages?.length ?? 0) > 0 || (s.townships?.length ?? 0) > 0);

/** A scope as stored (JSON, or null for the whole county). */
export const scopeJson = (s: Scope | undefined): string | null => (isScoped(s) ? JSON.stringify(s) : null);
export const parseScope = (json: string | null | undefined): { scope?: Scope } =>
  json ? { scope: JSON.parse(json) as Scope } : {};

export const seesPersonalData = (v: Viewer): boolean => can(v.role, 'personal.read');

/** Is a place (a box's village and township) inside the viewer's scope? */
export function placeInScope(
  v: Viewer,
  place: { village?: string | null; township?: string | null } | undefined,
): boolean {
  if (!isScoped(v.scope)) return true;
  if (!place) return false;
  return (
    (!!place.village && !!v.scope.villages?.includes(place.village)) ||
    (!!place.township && !!v.scope.townships?.includes(place.township))
  );
}

/** Is a vehicle owner's village among the viewer's villages (a cadre follows up their villagers wherever they were seen)? */
export const ownerInVillages = (v: Viewer, village: string | null | undefined): boolean =>
  !!village && !!v.scope?.villages?.includes(village);

/** The archive's scope, as archiveClause: a cadre sees their villagers; police and admins the county. */
export const archiveVisible = (v: Viewer, village: string | null | undefined): boolean =>
  !v.scope?.villages?.length || ownerInVillages(v, village);

/** A plate as others see it: province, letter and the last two characters (鲁P***23). */
export function maskPlate(plate: string): string {
  const c = [...plate];
  return c.length <= 4
    ? '*'.repeat(c.length)
    : `${c.slice(0, 2).join('')}${'*'.repeat(c.length - 4)}${c.slice(-2).join('')}`;
}

/**
 * SQL for "this device (and this vehicle's owner) is in the viewer's scope": the place of the box,
 * or the village of the vehicle's owner. Bind `scopeParams(viewer)` with it.
 */
export function scopeClause(d: Dialect, deviceCol: string, vehicleCol?: string): string {
  const villages = d.arrayValues('@scopeVillages');
  const device = `EXISTS (SELECT 1 FROM devices sd WHERE sd.id = ${deviceCol} AND (sd.village IN (${villages}) OR sd.township IN (${d.arrayValues('@scopeTownships')})))`;
  const owner = vehicleCol
    ? ` OR EXISTS (SELECT 1 FROM vehicles sv WHERE sv.id = ${vehicleCol} AND sv.village IN (${villages}))`
    : '';
  return `(@scoped = 0 OR ${device}${owner})`;
}

/** The archive's scope: a cadre sees their villagers; police and admins the county (townships do not limit the archive). */
export const archiveClause = (d: Dialect, villageCol: string): string =>
  `(@archiveScoped = 0 OR ${villageCol} IN (${d.arrayValues('@scopeVillages')}))`;

export function scopeParams(v: Viewer): {
  scoped: number;
  archiveScoped: number;
  scopeVillages: string;
  scopeTownships: string;
} {
  const s = v.scope;
  return {
    scoped: isScoped(s) ? 1 : 0,
    archiveScoped: s?.villages?.length ? 1 : 0,
    scopeVillages: JSON.stringify(s?.villages ?? []),
    scopeTownships: JSON.stringify(s?.townships ?? []),
  };
}
