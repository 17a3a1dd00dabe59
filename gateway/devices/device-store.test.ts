import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.ts';
import { DeviceStore } from './device-store.ts';
import { TEST_STORAGE_KEY } from '../../sim/testing/storage-key.ts';

describe('device registry', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const registry = () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-reg-'));
    dirs.push(d);
    return new DeviceStore(openDatabase(d, TEST_STORAGE_KEY));
  };

  it('records the road file, place, position and donor, updating only what is given', async () => {
    const r = registry();
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
    await expect(registry().upsert({ id: 'x', lat: 136 })).rejects.toThrow(/latitude 136/);
  });

  it('finds the boxes on the same road within a radius, nearest first', async () => {
    const r = registry();
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
});
