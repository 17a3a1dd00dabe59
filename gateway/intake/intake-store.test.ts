import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator, decodePublish, type DecodedPublish } from '../../protocols/index.ts';
import { tricycleAlarm } from '../../sim/testing/alarm.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import { DeviceStore } from '../devices/device-store.ts';
import { IntakeStore } from './intake-store.ts';

const newId = createIdGenerator();
const decoded = (topic: string, m: object): DecodedPublish => {
  const d = decodePublish(topic, JSON.stringify(m));
  if (!d.ok) throw new Error(d.error.message);
  return d.value;
};
const telemetry = (seq: number) =>
  decoded('rw/v1/box-1/telemetry', {
    v: 1,
    id: newId(),
    deviceId: 'box-1',
    ts: new Date().toISOString(),
    seq,
    uptimeS: 1,
    drivers: {},
    power: { batteryV: 12.1 },
    flags: ['lamp_fault'],
  });

describe.each(TEST_STORES)('intake store on $name', (store) => {
  afterEach(closeTestStores);

  it('stores each report once, whoever sends it again, and keeps the box row up to date', async () => {
    const sql = await store.open();
    const intake = new IntakeStore(sql);
    const alarm = decoded('rw/v1/box-1/event/tricycle_passengers', tricycleAlarm(newId, 'box-1'));
    const now = new Date().toISOString();
    // The same alarm twice at once (a QoS 1 re-send racing the first): stored once.
    expect((await Promise.all([intake.store(alarm, now), intake.store(alarm, now)])).sort()).toEqual([
      'duplicate',
      'stored',
    ]);
    const status = decoded('rw/v1/box-1/status', {
      v: 1,
      id: newId(),
      deviceId: 'box-1',
      ts: now,
      state: 'online',
      bdSeq: 7,
      firmware: '1.2.3',
    });
    expect(await intake.store(status, now)).toBe('stored');
    for (const seq of [254, 255, 2]) expect(await intake.store(telemetry(seq), now)).toBe('stored');
    const t = telemetry(3);
    expect(await intake.store(t, now)).toBe('stored');
    expect(await intake.store(t, now)).toBe('duplicate');
    const box = await new DeviceStore(sql).get('box-1');
    // 255 → 2 skipped 0 and 1.
    expect(box).toMatchObject({
      state: 'online',
      flags: ['lamp_fault'],
      telemetryGaps: 2,
      lastSeen: expect.any(String),
    });
    expect(await sql.get('SELECT count(*) AS n FROM events')).toEqual({ n: 1 });
    expect(await sql.get('SELECT count(*) AS n FROM telemetry')).toEqual({ n: 4 });
  });

  it('keeps refused messages with their bytes, pruned by age and count, newest kept', async () => {
    const sql = await store.open();
    const intake = new IntakeStore(sql);
    const bytes = Buffer.from([0, 1, 0xff, 0x80]);
    await intake.deadLetter('rw/v1/box-1/event/x', bytes, 'bad_json', 'not JSON', '2026-01-01T00:00:00Z');
    for (let i = 0; i < 5; i++)
      await intake.deadLetter(`t${i}`, bytes, 'bad_json', 'not JSON', `2026-02-0${i + 1}T00:00:00Z`);
    expect(await intake.deadLetterCount()).toBe(6);
    expect(await intake.pruneDeadLetters('2026-01-15T00:00:00Z', 3)).toBe(3);
    expect(await sql.all('SELECT topic, payload FROM dead_letters ORDER BY seq')).toEqual(
      ['t2', 't3', 't4'].map((topic) => ({ topic, payload: bytes })),
    );
  });
});
