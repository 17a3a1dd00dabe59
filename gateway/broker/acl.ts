import { COUNTY_PREFIX, TOPIC_PREFIX, parseTopic } from '../../protocols/index.ts';
import type { Principal } from '../registry/credentials.ts';

/** What a device may publish under its own tree: reports, never commands or desired config. */
const DEVICE_PUBLISHES = new Set(['status', 'telemetry', 'event', 'evidence', 'image', 'command_result', 'selftest']);

/** Operator roles that may read the fleet, and those that may also command it. */
const READERS = new Set(['gateway', 'admin', 'police', 'village', 'technician']);
const COMMANDERS = new Set(['gateway', 'admin', 'technician']);

export function canPublish(p: Principal, topic: string): boolean {
  const t = parseTopic(topic);
  if (p.kind === 'device') return t.ok && t.value.deviceId === p.id && DEVICE_PUBLISHES.has(t.value.kind);
  if (p.role === 'gateway' || p.role === 'admin') return topic.startsWith(`${TOPIC_PREFIX}/`) || topic.startsWith(`${COUNTY_PREFIX}/`);
  return COMMANDERS.has(p.role) && t.ok && t.value.kind === 'command';
}

export function canSubscribe(p: Principal, filter: string): boolean {
  if (p.kind === 'device') {
    // Its own inbox only: one command, all its commands, or its desired config.
    const own = `${TOPIC_PREFIX}/${p.id}/`;
    if (!filter.startsWith(own)) return false;
    const rest = filter.slice(own.length);
    return rest === 'cmd/+' || rest === 'config' || /^cmd\/[A-Za-z0-9_.-]+$/.test(rest);
  }
  if (filter.startsWith('$SYS/')) return p.role === 'admin';
  if (filter.startsWith('$share/')) return p.role === 'gateway' && canSubscribe(p, filter.split('/').slice(2).join('/'));
  if (filter.startsWith(`${COUNTY_PREFIX}/`)) return p.role !== 'technician' && READERS.has(p.role);
  return READERS.has(p.role) && (filter === '#' ? p.role === 'gateway' || p.role === 'admin' : filter.startsWith(`${TOPIC_PREFIX}/`));
}
