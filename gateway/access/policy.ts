import type { ResponseKind } from '../responses/response-state.ts';

/**
 * Who may see and do what: the one table every path (HTTP, MQTT, CLI) asks. Scope (which
 * villages or townships) narrows what a permission reaches; see viewer.ts.
 */
export const ROLES = ['gateway', 'admin', 'police', 'village', 'technician'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
  'fleet.read': 'see boxes, their telemetry, self-tests and reports over MQTT',
  'cases.read': 'see alarms and cases (plates masked without personal.read)',
  'personal.read': 'see full plates, photos, faces, evidence and owners (each view is logged)',
  'reports.read': 'see weekly reports and repeat offenders (masked without personal.read)',
  'respond.onsite': 'act on on-site responses',
  'respond.village': 'act on village responses',
  'respond.police': 'act on police responses',
  'devices.commission': 'register and replace boxes',
  'devices.command': 'send commands to boxes (self-test, lights, voice)',
  'devices.configure': 'publish desired configuration to boxes',
  'devices.update': 'publish agent bundles and roll them out to boxes (OTA)',
  'tickets.work': 'see and close fault tickets',
  'archive.import': 'import the vehicle archive',
  'accesslog.read': 'read who viewed personal data',
  'broker.admin': "read the broker's $SYS topics",
  'county.publish': 'publish county notifications (the gateway itself)',
  'dashboard.login': 'log in to the dashboard',
} as const;
export type Permission = keyof typeof PERMISSIONS;

const ALL = Object.keys(PERMISSIONS) as Permission[];

/** The table. A role not listed here has no permission at all. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  // The gateway's own clients and county systems holding a gateway token; never people.
  gateway: new Set(ALL.filter((p) => p !== 'dashboard.login')),
  admin: new Set(ALL.filter((p) => p !== 'county.publish')),
  police: new Set(['fleet.read', 'cases.read', 'personal.read', 'reports.read', 'respond.police', 'dashboard.login']),
  village: new Set(['fleet.read', 'cases.read', 'personal.read', 'reports.read', 'respond.village', 'dashboard.login']),
  technician: new Set([
    'fleet.read',
    'cases.read',
    'reports.read',
    'respond.onsite',
    'devices.commission',
    'devices.command',
    'tickets.work',
    'dashboard.login',
  ]),
};

export const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

export function can(role: string, p: Permission): boolean {
  return isRole(role) && ROLE_PERMISSIONS[role].has(p);
}

const RESPOND: Record<ResponseKind, Permission> = {
  onsite: 'respond.onsite',
  village: 'respond.village',
  police: 'respond.police',
};

export const mayActOn = (role: string, kind: ResponseKind): boolean => can(role, RESPOND[kind]);

export const responseKindsFor = (role: string): ResponseKind[] =>
  (Object.keys(RESPOND) as ResponseKind[]).filter((k) => mayActOn(role, k));

/** Roles that must be created with a scope: a village cadre answers for named villages. */
export const NEEDS_SCOPE: Partial<Record<Role, 'villages' | 'townships'>> = { village: 'villages' };
