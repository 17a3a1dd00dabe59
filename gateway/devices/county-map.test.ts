import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCountyMap } from './county-map.ts';

describe('county map (GeoJSON outlines for the dashboard)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-map-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (doc: unknown) => {
    const f = join(dir, `${Math.random().toString(36).slice(2)}.geojson`);
    writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return f;
  };
  const square = [
    [
      [116, 36],
      [116.1, 36],
      [116.1, 36.1],
      [116, 36],
    ],
  ];

  it('reads the example county: townships and villages by name and level', () => {
    const areas = loadCountyMap(fileURLToPath(new URL('../../examples/county-map.geojson', import.meta.url)));
    expect(areas.filter((a) => a.level === 'township').map((a) => a.name)).toEqual(['梁水镇', '杜郎口镇']);
    expect(areas.find((a) => a.name === '李庄')?.polygons[0][0]).toHaveLength(6);
  });

  it('names what is wrong: not JSON, not a collection, an unnamed feature, a point, a broken ring', () => {
    expect(() => loadCountyMap(join(dir, 'missing.geojson'))).toThrow(/no such file/);
    expect(() => loadCountyMap(file('{"type": '))).toThrow(/not JSON/);
    expect(() => loadCountyMap(file({ type: 'Feature' }))).toThrow(/not a GeoJSON FeatureCollection/);
    expect(() =>
      loadCountyMap(
        file({
          type: 'FeatureCollection',
          features: [{ properties: {}, geometry: { type: 'Polygon', coordinates: square } }],
        }),
      ),
    ).toThrow(/features\[0\] has no properties\.name/);
    expect(() =>
      loadCountyMap(
        file({
          type: 'FeatureCollection',
          features: [{ properties: { name: '李庄' }, geometry: { type: 'Point', coordinates: [116, 36] } }],
        }),
      ),
    ).toThrow(/features\[0\] \(李庄\) is a Point, not a Polygon/);
    expect(() =>
      loadCountyMap(
        file({
          type: 'FeatureCollection',
          features: [
            {
              properties: { name: '王屯' },
              geometry: {
                type: 'Polygon',
                coordinates: [
                  [
                    [116, 36],
                    [200, 36],
                    [116, 36.1],
                    [116, 36],
                  ],
                ],
              },
            },
          ],
        }),
      ),
    ).toThrow(/\(王屯\) has a ring that is not/);
  });
});
