import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { parseTopic, type ParsedTopic } from '../topics.ts';
import { fail, ok, type Result } from '../result.ts';
import { explainError } from '../schema-errors.ts';
import { CommandMessage, CommandResultMessage, DesiredConfigMessage } from './command.ts';
import { EventMessage } from './event.ts';
import { EvidenceManifest } from './evidence.ts';
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
} as const;

export type MessageKind = keyof typeof MESSAGE_SCHEMAS;
export type MessageOf<K extends MessageKind> = K extends 'command'
  ? CommandMessage
  : Static<(typeof MESSAGE_SCHEMAS)[K]>;

/** Payloads larger than this are refused before parsing (images travel separately). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

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
