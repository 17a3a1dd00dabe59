import { describe, expect, it } from 'vitest';
import { createIdGenerator } from '../ids.ts';
import { filters, parseTopic, topics } from '../topics.ts';
import { decodeMessage, decodePublish, encodeMessage, MAX_NESTING, tooDeep } from './codec.ts';
import type { EventMessage } from './event.ts';

const newId = createIdGenerator(() => Date.UTC(2026, 10, 29));
const base = () => ({ v: 1 as const, id: newId(), deviceId: 'lc-dongchang-001', ts: '2026-11-29T08:00:00.000+08:00' });

describe('topics', () => {
  it('builds and parses every kind', () => {
    const d = 'lc-dongchang-001';
    const cases = [
      [topics.status(d), { kind: 'status', deviceId: d }],
      [topics.telemetry(d), { kind: 'telemetry', deviceId: d }],
      [topics.event(d, 'tricycle_passengers'), { kind: 'event', deviceId: d, eventKind: 'tricycle_passengers' }],
      [topics.evidence(d, '01J'), { kind: 'evidence', deviceId: d, evidenceId: '01J' }],
      [topics.command(d, 'set_light'), { kind: 'command', deviceId: d, command: 'set_light' }],
      [topics.commandResult(d, 'set_light'), { kind: 'command_result', deviceId: d, command: 'set_light' }],
      [topics.config(d), { kind: 'config', deviceId: d }],
    ] as const;
    for (const [t, want] of cases) expect(parseTopic(t)).toEqual({ ok: true, value: want });
    expect(topics.commandResult(d, 'play_clip')).toBe('rw/v1/lc-dongchang-001/cmd/play_clip/result');
    expect(filters.deviceCommands(d)).toBe('rw/v1/lc-dongchang-001/cmd/+');
  });

  it('refuses wildcards and foreign trees', () => {
    expect(() => topics.status('a/b')).toThrow(/device id/);
    expect(() => topics.event('a', '#')).toThrow(/event kind/);
    for (const t of ['rw/v2/a/status', 'rw/v1/a', 'rw/v1/a/unknown', 'rw/v1/a/cmd/x/y', 'rw/v1/+/status', 'other']) {
      const r = parseTopic(t);
      expect(r.ok, t).toBe(false);
    }
  });
});

describe('message codec', () => {
  const event: EventMessage = {
    ...base(),
    kind: 'tricycle_passengers',
    severity: 'alarm',
    source: 'vision',
    data: { riders: 3 },
  };

  it('round-trips a valid event', () => {
    expect(decodeMessage('event', encodeMessage('event', event))).toEqual({ ok: true, value: event });
  });

  it('names the wrong field of an invalid message', () => {
    const r = decodeMessage('event', JSON.stringify({ ...event, severity: 'panic' }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad_schema');
      expect(r.error.path).toBe('/severity');
    }
  });

  it('reports bad JSON and oversize payloads without throwing', () => {
    const bad = decodeMessage('telemetry', '{"v":1,');
    expect(!bad.ok && bad.error.code).toBe('bad_json');
    const big = decodeMessage('telemetry', Buffer.alloc(300 * 1024, 0x20));
    expect(!big.ok && big.error.code).toBe('bad_length');
  });

  it('refuses objects nested past the limit wherever a schema allows free-form data, and names where', () => {
    const nest = (n: number): unknown => (n === 0 ? 1 : { a: nest(n - 1) });
    const result = (data: unknown) =>
      JSON.stringify({ ...base(), commandId: 'c-1', name: 'self_test', ok: true, data: { x: data } });
    const deep = decodeMessage('command_result', result(nest(1200)));
    expect(!deep.ok && deep.error.code).toBe('bad_depth');
    expect(!deep.ok && deep.error.message).toContain(`deeper than ${MAX_NESTING} levels (at /data/x/a/a`);
    // Two levels are the envelope and data: what fits under the limit passes.
    expect(decodeMessage('command_result', result(nest(MAX_NESTING - 2))).ok).toBe(true);
    expect(decodeMessage('command_result', result(nest(MAX_NESTING - 1))).ok).toBe(false);
    expect(tooDeep([[[[]]]], 3)).toBe('/0/0/0');
    expect(tooDeep({ a: [1, { b: 'x' }] }, 3)).toBeUndefined();
  });

  it('validates command params per command name', () => {
    const cmd = { ...base(), name: 'set_volume', params: { volume: 20 } };
    expect(decodeMessage('command', JSON.stringify(cmd)).ok).toBe(true);
    expect(decodeMessage('command', JSON.stringify({ ...cmd, params: { volume: 31 } })).ok).toBe(false);
    expect(decodeMessage('command', JSON.stringify({ ...cmd, name: 'format_disk' })).ok).toBe(false);
  });

  it('refuses to encode a message our own decoder would refuse', () => {
    expect(() => encodeMessage('status', { ...base(), state: 'online', bdSeq: -1 })).toThrow(/bdSeq/);
  });

  it('refuses a payload that speaks for another device than its topic', () => {
    const spoof = decodePublish(topics.event('lc-other-002', 'tricycle_passengers'), JSON.stringify(event));
    expect(!spoof.ok && spoof.error.message).toMatch(/does not match topic device/);
    const good = decodePublish(topics.event(event.deviceId, event.kind), JSON.stringify(event));
    expect(good.ok && good.value.topic.kind).toBe('event');
  });

  it('generates unique, time-sortable ids', () => {
    const ids = Array.from({ length: 1000 }, () => newId());
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('union errors are explained by the variant meant', () => {
  it('names the bad parameter of a command instead of "Expected union value"', () => {
    const cmd = {
      v: 1,
      id: createIdGenerator()(),
      deviceId: 'box',
      ts: '2026-11-29T08:00:00Z',
      name: 'set_volume',
      params: { volume: 99 },
    };
    const r = decodeMessage('command', JSON.stringify(cmd));
    expect(!r.ok && r.error.path).toBe('/params/volume');
    expect(!r.ok && r.error.message).toMatch(/params\/volume .*30/);
  });
});
