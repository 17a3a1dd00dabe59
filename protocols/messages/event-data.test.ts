import { describe, expect, it } from 'vitest';
import { decodeMessage } from './codec.ts';
import { eventDataOf } from './event-data.ts';

const event = (data: unknown) =>
  JSON.stringify({
    v: 1,
    id: '01JDZ8Y6W1Q6Q6Q6Q6Q6Q6Q6Q6',
    deviceId: 'lc-dongchang-001',
    ts: '2026-11-29T08:00:00.000+08:00',
    kind: 'tricycle_passengers',
    severity: 'alarm',
    source: 'vision',
    data,
  });

describe('the recognition inside an alarm', () => {
  it('takes what a box writes: vehicle, riders, plate read or not, face, and flat extras from newer firmware', () => {
    const read = {
      rule: 'tricycle',
      vehicle: 'tricycle',
      riders: 3,
      reason: '3 people on a tricycle (1 allowed)',
      plate: '鲁PA3N8Z',
      plateColour: 'blue',
      plateScore: 0.93,
      face: true,
    };
    expect(decodeMessage('event', event(read))).toMatchObject({ ok: true, value: { data: read } });
    const unread = {
      vehicle: 'tricycle',
      riders: 2,
      plate: null,
      plateReason: 'plate too small (14 px)',
      face: false,
      faceReason: 'no face found',
      plateColour: 'unknown',
    };
    expect(decodeMessage('event', event(unread)).ok).toBe(true);
    expect(
      decodeMessage('event', event({ riders: 2, helmetScore: 0.4, lane: 'left', night: true, zone: null })).ok,
    ).toBe(true);
  });

  it.each([
    ['a nested object', { riders: 2, extra: { deep: { deeper: 1 } } }, '/data/extra'],
    ['an array', { riders: 2, boxes: [[1, 2, 3, 4]] }, '/data/boxes'],
    ['riders that are not a whole number', { riders: 2.5 }, '/data/riders'],
    ['riders as text', { riders: '3' }, '/data/riders'],
    ['a plate longer than any plate', { plate: '鲁'.repeat(40) }, '/data/plate'],
    ['a plate score above 1', { plateScore: 7 }, '/data/plateScore'],
    ['an unknown plate colour', { plateColour: 'purple' }, '/data/plateColour'],
    ['a long extra text', { note: 'x'.repeat(201) }, '/data/note'],
  ])('refuses %s, naming the field', (_what, data, path) => {
    const r = decodeMessage('event', event(data));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(path);
  });

  it('refuses more than 32 keys', () => {
    const r = decodeMessage('event', event(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i]))));
    expect(r.ok).toBe(false);
  });

  it('reads stored data through the schema: known fields that fit, typed; nothing else', () => {
    expect(
      eventDataOf({ vehicle: 'tricycle', riders: 3, plate: '鲁PA3N8Z', lane: 'left', plateScore: 'high', face: 'yes' }),
    ).toEqual({ vehicle: 'tricycle', riders: 3, plate: '鲁PA3N8Z' });
    expect(eventDataOf({ plate: null })).toEqual({ plate: null });
    for (const junk of [undefined, null, 'text', 42, ['a'], {}]) expect(eventDataOf(junk)).toEqual({});
  });
});
