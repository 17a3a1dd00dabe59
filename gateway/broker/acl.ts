import { COUNTY_PREFIX, TOPIC_PREFIX, parseTopic } from '../../protocols/index.ts';
import type { Principal } from '../access/credential-store.ts';
import { can, type Permission } from '../access/policy.ts';
import { isScoped, placeInScope, seesPersonalData, type Viewer } from '../access/viewer.ts';

/** Where a box is, for scope checks; undefined for a box the registry does not know. */
export type PlaceOf = (deviceId: string) => { village?: string | null; township?: string | null } | undefined;

/** What a device may publish under its own tree: reports, never commands or desired config. */
const DEVICE_PUBLISHES = new Set([
  'status',
  'telemetry',
  'event',
  'evidence',
  'image',
  'command_result',
  'selftest',
  'ota',
]);

export const viewerOf = (p: Extract<Principal, { kind: 'operator' }>): Viewer => ({
  name: p.id,
  role: p.role,
  ...(p.scope ? { scope: p.scope } : {}),
});

/** What sending a command needs: an agent update is a rollout's (admins), the rest a technician's. */
export const commandPermission = (name: string): Permission =>
  name === 'update_agent' ? 'devices.update' : 'devices.command';

/**
 * MQTT publish rights, from the same policy as HTTP: a box publishes its own reports; people and
 * county systems publish commands or desired config only to boxes in their scope; only the
 * gateway publishes county notifications.
 */
export function canPublish(p: Principal, topic: string, placeOf: PlaceOf): boolean {
  const t = parseTopic(topic);
  if (p.kind === 'device') return t.ok && t.value.deviceId === p.id && DEVICE_PUBLISHES.has(t.value.kind);
  if (topic.startsWith(`${COUNTY_PREFIX}/`)) return can(p.role, 'county.publish');
  if (!t.ok) return false;
  const need =
    t.value.kind === 'command'
      ? commandPermission(t.value.command)
      : t.value.kind === 'config'
        ? 'devices.configure'
        : undefined;
  return need !== undefined && can(p.role, need) && placeInScope(viewerOf(p), placeOf(t.value.deviceId));
}

/**
 * Whether a subscription is taken at all. What it then delivers is decided per message
 * (forward-filter.ts), so a cadre may subscribe to `rw/v1/#` and gets only their villages' boxes.
 */
export function canSubscribe(p: Principal, filter: string): boolean {
  if (p.kind === 'device') {
    // Its own inbox only: one command, all its commands, or its desired config.
    const own = `${TOPIC_PREFIX}/${p.id}/`;
    if (!filter.startsWith(own)) return false;
    const rest = filter.slice(own.length);
    return rest === 'cmd/+' || rest === 'config' || /^cmd\/[A-Za-z0-9_.-]+$/.test(rest);
  }
  if (filter.startsWith('$SYS/')) return can(p.role, 'broker.admin');
  if (filter.startsWith('$share/'))
    return p.role === 'gateway' && canSubscribe(p, filter.split('/').slice(2).join('/'));
  if (filter.startsWith(`${COUNTY_PREFIX}/`)) return can(p.role, 'personal.read') && can(p.role, 'cases.read');
  return (
    can(p.role, 'fleet.read') &&
    (filter === '#' ||
      filter.startsWith('+/') ||
      filter.startsWith(`${TOPIC_PREFIX}/`) ||
      filter === 'rw/#' ||
      filter === 'rw/+/#')
  );
}

/** Report kinds that carry no personal data: what a role without `personal.read` may receive unmasked. */
const IMPERSONAL_KINDS = new Set(['status', 'telemetry', 'selftest', 'command_result']);

/**
 * A subscription on a broker that cannot filter or rewrite per delivery (RabbitMQ): taken only when
 * everything it can deliver would pass `forwardFor` unchanged. A viewer who sees everything may
 * subscribe as on the embedded broker; a scoped one, or one without personal data, only to named
 * boxes in scope, and then only to what needs no masking.
 */
export function canSubscribeUnfiltered(p: Principal, filter: string, placeOf: PlaceOf): boolean {
  if (!canSubscribe(p, filter)) return false;
  if (p.kind === 'device') return true;
  if (filter.startsWith('$share/') || filter.startsWith('$SYS/')) return false;
  const v = viewerOf(p);
  const personal = seesPersonalData(v);
  if (personal && !isScoped(v.scope)) return true;
  const [root, version, deviceId, kind, ...rest] = filter.split('/');
  if (`${root}/${version}` !== TOPIC_PREFIX || !deviceId || deviceId === '+' || deviceId === '#') return false;
  if (!placeInScope(v, placeOf(deviceId))) return false;
  return personal || (kind !== undefined && IMPERSONAL_KINDS.has(kind) && rest.length === 0);
}
