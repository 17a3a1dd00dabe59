import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM } from '../access/viewer.ts';
import { Archive } from './archive-store.ts';
import { confusionVariants, matchPlate } from './plate-match.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';

const CSV = `plate,class,owner_name,owner_phone,driver_name,township,village
鲁PAB123,tricycle,张三,13800000001,张三,梁水镇,李庄
鲁P·D0235,minivan,李四,13800000002,,梁水镇,王屯
无牌,tricycle,王五,,王五,梁水镇,李庄
`;

describe('plate matching tolerant to OCR confusions', () => {
  const archive = new Set(['鲁PAB123', '鲁PD0235', '鲁PA1234']);
  const m = (read: string) =>
    matchPlate(
      read,
      (p) => archive.has(p),
      () => archive,
    );

  it('finds exact plates, then one known confusion, then one other character, and says which', () => {
    expect(m('鲁P·AB123')).toEqual({ plate: '鲁PAB123', confidence: 1, reason: 'exact' });
    expect(m('鲁PA8123')).toEqual({
      plate: '鲁PAB123',
      confidence: 0.85,
      reason: 'one OCR confusion (position 4: read 8, archive B)',
    });
    expect(m('鲁PDD235')).toMatchObject({ plate: '鲁PD0235', confidence: 0.85 });
    expect(m('鲁PA1284')).toMatchObject({
      plate: '鲁PA1234',
      confidence: 0.5,
      reason: 'one character differs (position 6: read 8, archive 3)',
    });
    expect(m('鲁QX9999')).toBeUndefined();
  });

  it('refuses to guess between two equally near plates', () => {
    const two = new Set(['鲁PA1230', '鲁PA123D']);
    expect(
      matchPlate(
        '鲁PA123Q',
        (p) => two.has(p),
        () => two,
      ),
    ).toBeUndefined();
  });

  it('lists every single-confusion variant', () => {
    expect(confusionVariants('鲁P8')).toEqual(['鲁PB']);
  });
});

describe.each(TEST_STORES)('archive (三见面一建档) on $name', (sqlStore) => {
  let archive: Archive;
  beforeEach(async () => {
    archive = new Archive(await sqlStore.open());
  });
  afterEach(closeTestStores);

  it('validates first, imports on commit, gives plateless vehicles their own id, and looks plates up', async () => {
    const dry = await archive.importCsv(CSV, false);
    expect(dry).toMatchObject({ rows: 3, valid: 3, added: 0, committed: false, problems: [] });
    expect(await archive.lookup(SYSTEM, '鲁PAB123')).toBeUndefined();
    const done = await archive.importCsv(CSV, true);
    expect(done).toMatchObject({ added: 3, committed: true });
    expect(await archive.get(SYSTEM, 'PL-000001')).toMatchObject({ plate: null, ownerName: '王五', village: '李庄' });
    expect(await archive.lookup(SYSTEM, '鲁PA8123')).toMatchObject({
      confidence: 0.85,
      vehicle: { ownerName: '张三', village: '李庄', class: 'tricycle' },
    });
    expect(await archive.importCsv(CSV.split('\n').slice(0, 2).join('\n'), true)).toMatchObject({
      updated: 1,
      added: 0,
    });
  });

  it('reports every bad row by line and imports nothing while any row is bad', async () => {
    const bad = `plate,class,owner_name,owner_phone,village
鲁PI2345,tricycle,甲,13800000001,李庄
鲁PA1111,spaceship,乙,123,李庄
,tricycle,,,李庄
鲁PA1111,car,丙,,
`;
    const r = await archive.importCsv(bad, true);
    expect(r.committed).toBe(false);
    expect(r.problems.map((p) => p.line)).toEqual([2, 3, 4, 5]);
    expect(r.problems[0].errors[0]).toMatch(/not a valid GA 36 plate/);
    expect(r.problems[1].errors).toEqual([
      expect.stringMatching(/class "spaceship"/),
      expect.stringMatching(/owner_phone "123"/),
    ]);
    expect(r.problems[2].errors).toEqual(['a plateless vehicle needs owner_name']);
    expect(r.problems[3].errors).toEqual([
      'village is empty (the village cadre is found by it)',
      'plate 鲁PA1111 already on line 3',
    ]);
    expect(await archive.lookup(SYSTEM, '鲁PA1111')).toBeUndefined();
  });

  it('names missing columns', async () => {
    expect((await archive.importCsv('plate,owner_name\n鲁PA1111,甲\n', true)).problems[0].errors[0]).toMatch(
      /missing column\(s\): class, village/,
    );
  });
});
