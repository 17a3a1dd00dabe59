import { COUNTY_PREFIX, parseTopic } from '../../protocols/index.ts';
import { can } from '../access/policy.ts';
import { isScoped, maskPlate, ownerInVillages, placeInScope, seesPersonalData, type Viewer } from '../access/viewer.ts';
import type { PlaceOf } from './acl.ts';

/** The part of a publish the filter reads and may rewrite. */
export interface ForwardedPacket {
  topic: string;
  payload: Buffer | string;
}

type Verdict = { forward: true; payload?: Buffer } | { forward: false };
const PASS: Verdict = { forward: true };
const WITHHOLD: Verdict = { forward: false };

/**
 * Per-delivery authorisation for people and county systems (aedes' authorizeForward): a box's
 * messages reach a viewer only when the box is in their scope; images and evidence only roles that
 * may see personal data, and for the others an event's plate is masked; a county notification only
 * when its case is in scope (digests keep only the items that are).
 */
export function forwardFor(v: Viewer, packet: ForwardedPacket, placeOf: PlaceOf): Verdict {
  const personal = seesPersonalData(v);
  const whole = personal && !isScoped(v.scope);
  if (packet.topic.startsWith(`${COUNTY_PREFIX}/`)) {
    if (!personal || !can(v.role, 'cases.read')) return WITHHOLD;
    return whole ? PASS : countyNotice(v, packet.payload, placeOf);
  }
  const t = parseTopic(packet.topic);
  if (!t.ok)
    return !isScoped(v.scope) && (can(v.role, 'broker.admin') || can(v.role, 'county.publish')) ? PASS : WITHHOLD;
  if (!can(v.role, 'fleet.read')) return WITHHOLD;
  if (whole) return PASS;
  const kind = t.value.kind;
  if (!personal && (kind === 'image' || kind === 'evidence')) return WITHHOLD;
  if (!placeInScope(v, placeOf(t.value.deviceId))) return WITHHOLD;
  if (!personal && kind === 'event') return maskedEvent(packet.payload);
  return PASS;
}

const json = (payload: Buffer | string): Record<string, unknown> | undefined => {
  try {
    const x: unknown = JSON.parse(payload.toString());
    return x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

function maskedEvent(payload: Buffer | string): Verdict {
  const m = json(payload);
  if (!m) return WITHHOLD;
  // Raw from the box, not yet validated by intake: any string there is masked, schema or not.
  const data = m.data as Record<string, unknown> | undefined;
  if (!data || typeof data.plate !== 'string') return PASS;
  return {
    forward: true,
    payload: Buffer.from(JSON.stringify({ ...m, data: { ...data, plate: maskPlate(data.plate) } })),
  };
}

function itemInScope(v: Viewer, item: Record<string, unknown>, placeOf: PlaceOf): boolean {
  const vehicle = item.vehicle as { village?: unknown } | undefined;
  const owner = typeof vehicle?.village === 'string' ? vehicle.village : undefined;
  return (typeof item.deviceId === 'string' && placeInScope(v, placeOf(item.deviceId))) || ownerInVillages(v, owner);
}

function countyNotice(v: Viewer, payload: Buffer | string, placeOf: PlaceOf): Verdict {
  const n = json(payload);
  if (!n) return WITHHOLD;
  if (!Array.isArray(n.items)) return itemInScope(v, n, placeOf) ? PASS : WITHHOLD;
  const items = (n.items as unknown[]).filter(
    (i): i is Record<string, unknown> =>
      !!i && typeof i === 'object' && itemInScope(v, i as Record<string, unknown>, placeOf),
  );
  if (!items.length) return WITHHOLD;
  return items.length === n.items.length
    ? PASS
    : { forward: true, payload: Buffer.from(JSON.stringify({ ...n, count: items.length, items })) };
}
