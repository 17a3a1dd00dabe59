import { afterEach, describe, expect, it } from 'vitest';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import { SYSTEM } from '../access/viewer.ts';
import { DeviceQuery } from './device-query.ts';
import { DeviceStore } from './device-store.ts';
import { PlaceCache } from './place-cache.ts';
import { SelfTests } from './selftest-store.ts';

describe.each(TEST_STORES)('device registry on $name', (store) => {
  afterEach(closeTestStores);
  const registry = async () => new DeviceStore(await store.open());

  it('records the road file, place, position and donor, updating only what is given', async () => {
    const r = await registry();
    await r.upsert({
      id: 'lc-0001',
      name: '梁水镇 李庄路口',
      road: 'X031',
      township: '梁水镇',
      village: '李庄',
      lat: 36.4562,
      lon: 115.9854,
      donor: { name: '王先生', amount: 3000, thanks: '一灯一带' },
    });
    await r.upsert({ id: 'lc-0001', crossing: '李庄路口' });
    expect(await r.get('lc-0001')).toMatchObject({
      id: 'lc-0001',
      name: '梁水镇 李庄路口',
      road: 'X031',
      crossing: '李庄路口',
      village: '李庄',
      lat: 36.4562,
      donor: { name: '王先生', amount: 3000 },
      state: 'unknown',
      flags: [],
    });
  });

  it('refuses a position off the globe', async () => {
    await expect((await registry()).upsert({ id: 'x', lat: 136 })).rejects.toThrow(/latitude 136/);
  });

  it('finds the boxes on the same road within a radius, nearest first', async () => {
    const r = await registry();
    // Along X031 heading east: about 90 m per 0.001° of longitude at this latitude.
    await r.upsert({ id: 'a', road: 'X031', lat: 36.45, lon: 115.98 });
    await r.upsert({ id: 'b', road: 'X031', lat: 36.45, lon: 115.985 });
    await r.upsert({ id: 'c', road: 'X031', lat: 36.45, lon: 115.982 });
    await r.upsert({ id: 'far', road: 'X031', lat: 36.45, lon: 116.0 });
    await r.upsert({ id: 'other-road', road: 'S245', lat: 36.45, lon: 115.981 });
    await r.upsert({ id: 'no-gps', road: 'X031' });
    const near = await r.neighbours('a', 600);
    expect(near.map((d) => d.id)).toEqual(['c', 'b']);
    expect(near[0].distanceM).toBeGreaterThan(170);
    expect(near[0].distanceM).toBeLessThan(190);
    expect(await r.neighbours('no-gps', 600)).toEqual([]);
  });

  it("keeps every box's place for the broker: this process's writes at once, others' within a reload", async () => {
    const sql = await store.open();
    let cache: PlaceCache | undefined;
    const r = new DeviceStore(sql, (m) => cache?.note(m.id, m));
    const other = new DeviceStore(sql);
    await r.upsert({ id: 'a', village: '李庄', township: '梁水镇' });
    cache = new PlaceCache(r, 60_000);
    await cache.start();
    expect(cache.get('a')).toEqual({ village: '李庄', township: '梁水镇' });
    await r.commission({ id: 'a', village: '张庄' }, { at: 't', by: 'tech', registeredBy: 'tech' });
    expect(cache.get('a')).toEqual({ village: '张庄', township: '梁水镇' });
    await other.upsert({ id: 'b', village: '王庄' });
    expect(cache.get('b')).toBeUndefined();
    await cache.reload();
    expect(cache.get('b')).toEqual({ village: '王庄', township: null });
    expect((await r.get('a'))?.commissioned).toMatchObject({ by: 'tech' });
    cache.stop();
  });

  it('lists boxes with their battery and samples telemetry to at most ~500 points', async () => {
    const sql = await store.open();
    await new DeviceStore(sql).upsert({ id: 'a', village: '李庄' });
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    for (let i = 0; i < 1200; i++) {
      const body = {
        ts: new Date(t0 + i * 1000).toISOString(),
        power: { batteryV: 12 + i / 1000 },
        outbox: { pending: i },
      };
      await sql.run('INSERT INTO telemetry (id, device_id, ts, body) VALUES (?, ?, ?, ?)', [
        `t${i}`,
        'a',
        body.ts,
        JSON.stringify(body),
      ]);
    }
    await sql.run('UPDATE devices SET last_telemetry = ? WHERE id = ?', [
      JSON.stringify({ power: { batteryV: 12.5 } }),
      'a',
    ]);
    const q = new DeviceQuery(sql, new SelfTests(sql));
    expect((await q.list(SYSTEM)).map((d) => [d.id, d.batteryV, d.openTickets])).toEqual([['a', 12.5, 0]]);
    const points = (await q.telemetry(SYSTEM, 'a', 24, new Date(t0 + 3_600_000))) ?? [];
    expect(points.length).toBe(400); // every 3rd of 1,200
    expect(points[1]).toMatchObject({ batteryV: 12.003, outboxPending: 3, solarV: null });
    expect(await q.get({ name: 'cadre', role: 'village', scope: { villages: ['张庄'] } }, 'a')).toBeUndefined();
  });
});
