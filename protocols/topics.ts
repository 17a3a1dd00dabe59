import { isDeviceId } from './ids.ts';
import { fail, ok, type Result } from './result.ts';

/**
 * The one place that writes and reads MQTT topic strings.
 * Tree: rw/v1/{deviceId}/status | telemetry | selftest | ota | event/{kind} | evidence/{id} | image/{sha256} | cmd/{name} | cmd/{name}/result | config
 */
export const TOPIC_PREFIX = 'rw/v1';
/** Where the gateway tells county systems about cases (not a device tree). */
export const COUNTY_PREFIX = 'rw-county/v1';

export type ParsedTopic =
  | { kind: 'status'; deviceId: string }
  | { kind: 'telemetry'; deviceId: string }
  | { kind: 'selftest'; deviceId: string }
  /** Where the box is with an agent update (edge/ota). */
  | { kind: 'ota'; deviceId: string }
  | { kind: 'event'; deviceId: string; eventKind: string }
  | { kind: 'evidence'; deviceId: string; evidenceId: string }
  /** Raw JPEG bytes, addressed by their SHA-256 (lowercase hex). */
  | { kind: 'image'; deviceId: string; sha256: string }
  | { kind: 'command'; deviceId: string; command: string }
  | { kind: 'command_result'; deviceId: string; command: string }
  | { kind: 'config'; deviceId: string };

const levelRe = /^[A-Za-z0-9_.-]{1,64}$/;

function level(name: string, value: string): string {
  if (!levelRe.test(value))
    throw new TypeError(`${name} "${value}" is not a valid topic level (letters, digits, _ . - only)`);
  return value;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

function sha256Level(v: string): string {
  if (!SHA256_RE.test(v)) throw new TypeError(`"${v}" is not a SHA-256 in lowercase hex`);
  return v;
}

function device(id: string): string {
  if (!isDeviceId(id)) throw new TypeError(`device id "${id}" is not valid (letters, digits, _ . -, at most 64)`);
  return `${TOPIC_PREFIX}/${id}`;
}

export const topics = {
  status: (deviceId: string) => `${device(deviceId)}/status`,
  telemetry: (deviceId: string) => `${device(deviceId)}/telemetry`,
  selftest: (deviceId: string) => `${device(deviceId)}/selftest`,
  ota: (deviceId: string) => `${device(deviceId)}/ota`,
  event: (deviceId: string, kind: string) => `${device(deviceId)}/event/${level('event kind', kind)}`,
  evidence: (deviceId: string, evidenceId: string) =>
    `${device(deviceId)}/evidence/${level('evidence id', evidenceId)}`,
  image: (deviceId: string, sha256: string) => `${device(deviceId)}/image/${sha256Level(sha256)}`,
  command: (deviceId: string, name: string) => `${device(deviceId)}/cmd/${level('command', name)}`,
  commandResult: (deviceId: string, name: string) => `${device(deviceId)}/cmd/${level('command', name)}/result`,
  config: (deviceId: string) => `${device(deviceId)}/config`,
  county: (channel: string, kind: string) =>
    `${COUNTY_PREFIX}/${level('channel', channel)}/${level('notification kind', kind)}`,
} as const;

/** Subscription filters, for the gateway (all devices) and for one device (its own inbox). */
export const filters = {
  all: `${TOPIC_PREFIX}/#`,
  allStatus: `${TOPIC_PREFIX}/+/status`,
  allTelemetry: `${TOPIC_PREFIX}/+/telemetry`,
  allSelfTests: `${TOPIC_PREFIX}/+/selftest`,
  allOta: `${TOPIC_PREFIX}/+/ota`,
  allEvents: `${TOPIC_PREFIX}/+/event/+`,
  allEvidence: `${TOPIC_PREFIX}/+/evidence/+`,
  allImages: `${TOPIC_PREFIX}/+/image/+`,
  allCommandResults: `${TOPIC_PREFIX}/+/cmd/+/result`,
  deviceTree: (deviceId: string) => `${device(deviceId)}/#`,
  deviceCommands: (deviceId: string) => `${device(deviceId)}/cmd/+`,
  deviceConfig: (deviceId: string) => topics.config(deviceId),
  county: `${COUNTY_PREFIX}/#`,
} as const;

export function parseTopic(topic: string): Result<ParsedTopic> {
  const parts = topic.split('/');
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) {
    return fail('bad_topic', `topic "${topic}" is not under ${TOPIC_PREFIX}/{deviceId}/…`);
  }
  const deviceId = parts[2];
  if (!isDeviceId(deviceId)) return fail('bad_topic', `topic "${topic}" has an invalid device id "${deviceId}"`);
  const rest = parts.slice(3);
  const bad = rest.find((p) => !levelRe.test(p));
  if (bad !== undefined) return fail('bad_topic', `topic "${topic}" has an invalid level "${bad}"`);
  const [head, arg, tail] = rest;
  switch (rest.length === 1 ? head : `${head}/*${rest.length === 3 ? `/${tail}` : ''}`) {
    case 'status':
      return ok({ kind: 'status', deviceId });
    case 'telemetry':
      return ok({ kind: 'telemetry', deviceId });
    case 'config':
      return ok({ kind: 'config', deviceId });
    case 'selftest':
      return ok({ kind: 'selftest', deviceId });
    case 'ota':
      return ok({ kind: 'ota', deviceId });
    case 'event/*':
      return ok({ kind: 'event', deviceId, eventKind: arg });
    case 'evidence/*':
      return ok({ kind: 'evidence', deviceId, evidenceId: arg });
    case 'image/*':
      return SHA256_RE.test(arg)
        ? ok({ kind: 'image', deviceId, sha256: arg })
        : fail('bad_topic', `topic "${topic}": image level must be a SHA-256 in lowercase hex`);
    case 'cmd/*':
      return ok({ kind: 'command', deviceId, command: arg });
    case 'cmd/*/result':
      return ok({ kind: 'command_result', deviceId, command: arg });
    default:
      return fail('bad_topic', `topic "${topic}" is not a known roadwarden topic`);
  }
}
