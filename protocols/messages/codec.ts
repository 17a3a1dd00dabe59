import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { parseTopic, type ParsedTopic } from '../topics.ts';
import { fail, ok, type Result } from '../result.ts';
import { explainError } from '../schema-errors.ts';
import { CommandMessage, CommandResultMessage, DesiredConfigMessage } from './command.ts';
import { EventMessage } from './event.ts';
import { EvidenceManifest } from './evidence.ts';
import { OtaStatusMessage } from './ota.ts';
import { SelfTestReport } from './selftest.ts';
import { StatusMessage } from './status.ts';
import { TelemetryMessage } from './telemetry.ts';

/** Message kinds match the topic kinds, so a topic alone says which schema its payload must meet. */
export const MESSAGE_SCHEMAS = {
  status: StatusMessage,
  telemetry: TelemetryMessage,
  event: EventMessage,
  evidence: EvidenceManifest,
  command: CommandMessage,
  command_result: CommandResultMessage,
  config: DesiredConfigMessage,
  selftest: SelfTestReport,
  ota: OtaStatusMessage,
} as const;

export type MessageKind = keyof typeof MESSAGE_SCHEMAS;
export type MessageOf<K extends MessageKind> = K extends 'command'
  ? CommandMessage
  : Static<(typeof MESSAGE_SCHEMAS)[K]>;

/** Payloads larger than this are refused before parsing (images travel separately). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/**
 * Objects and arrays nested deeper than this are refused: no message of ours goes past 6, and
 * SQLite's JSON functions fail on a stored body past 1,000 (one such row took the alarm list down).
 */
export const MAX_NESTING = 32;

/** The path to the first value nested deeper than `limit`, or undefined. Iterative: no stack to overflow. */
export function tooDeep(value: unknown, limit = MAX_NESTING): string | undefined {
  const stack: Array<[unknown, string, number]> = [[value, '', 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return path || '/';
    for (const [k, child] of Object.entries(v)) stack.push([child, `${path}/${k}`, depth + 1]);
  }
  return undefined;
}

const checks = new Map<MessageKind, TypeCheck<TSchema>>();
function checker(kind: MessageKind): TypeCheck<TSchema> {
  let c = checks.get(kind);
  if (!c) {
    c = TypeCompiler.Compile(MESSAGE_SCHEMAS[kind]);
    checks.set(kind, c);
  }
  return c;
}

/** Validate an already-parsed value; the error names the first offending field. */
export function validateMessage<K extends MessageKind>(kind: K, value: unknown): Result<MessageOf<K>> {
  const check = checker(kind);
  if (check.Check(value)) return ok(value as MessageOf<K>);
  const raw = check.Errors(value).First();
  const first = raw && explainError(raw);
  const path = first?.path || '/';
  return fail('bad_schema', `${kind} message: ${path} ${first?.message ?? 'is invalid'}`, path);
}

export function decodeMessage<K extends MessageKind>(kind: K, payload: Uint8Array | string): Result<MessageOf<K>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES)
    return fail('bad_length', `${kind} message is ${size} bytes, limit ${MAX_PAYLOAD_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (e) {
    return fail('bad_json', `${kind} message is not JSON: ${(e as Error).message}`);
  }
  const deep = tooDeep(value);
  if (deep !== undefined)
    return fail(
      'bad_depth',
      `${kind} message nests objects deeper than ${MAX_NESTING} levels (at ${deep.slice(0, 120)})`,
    );
  return validateMessage(kind, value);
}

/** Encoding validates too: we never put a message on the wire that our own decoder would refuse. */
export function encodeMessage<K extends MessageKind>(kind: K, message: MessageOf<K>): Buffer {
  const valid = validateMessage(kind, message);
  if (!valid.ok) throw new TypeError(valid.error.message);
  return Buffer.from(JSON.stringify(message));
}

export type DecodedPublish = {
  [K in MessageKind]: { topic: Extract<ParsedTopic, { kind: K }>; message: MessageOf<K> };
}[MessageKind];

/**
 * Decode a publish by its topic, and refuse a payload whose device id (or command name) differs
 * from the topic's: a device may not speak for another.
 */
export function decodePublish(topic: string, payload: Uint8Array | string): Result<DecodedPublish> {
  const t = parseTopic(topic);
  if (!t.ok) return t;
  if (t.value.kind === 'image')
    return fail('bad_topic', `topic "${topic}" carries raw image bytes, not a message (use checkImage)`);
  const m = decodeMessage(t.value.kind, payload);
  if (!m.ok) return m;
  const msg = m.value as { deviceId: string; name?: string };
  if (msg.deviceId !== t.value.deviceId) {
    return fail(
      'bad_schema',
      `payload deviceId "${msg.deviceId}" does not match topic device "${t.value.deviceId}"`,
      '/deviceId',
    );
  }
  if ((t.value.kind === 'command' || t.value.kind === 'command_result') && msg.name !== t.value.command) {
    return fail('bad_schema', `payload name "${msg.name}" does not match topic command "${t.value.command}"`, '/name');
  }
  return ok({ topic: t.value, message: m.value } as DecodedPublish);
}
