import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSceneLabels, plateMatches, SHARED_SCENES, scoreDetections, scorePlates } from './scene-labels.ts';

describe('the scene labels and how reads are scored against them', () => {
  it.skipIf(!existsSync(SHARED_SCENES))(
    'label every photo in ../shared/fixtures/scenes and nothing else (skipped without ../shared)',
    () => {
      const labels = loadSceneLabels();
      const photos = readdirSync(SHARED_SCENES).filter((f) => /\.(jpe?g|png)$/i.test(f));
      expect(Object.keys(labels).sort()).toEqual(photos.sort());
      const plates = Object.values(labels).flatMap((l) => l.plates);
      expect(plates.length).toBeGreaterThanOrEqual(37);
      for (const p of plates) expect(p.text, p.text).toMatch(/^[\u4e00-\u9fa5?][A-Z0-9?]/);
    },
  );

  it('matches a read character by character, ? standing for one character', () => {
    expect(plateMatches('?DU4356', '辽DU4356')).toBe(true);
    expect(plateMatches('川AM118?', '川AM118G')).toBe(true);
    expect(plateMatches('粤BD01366', '粤BD0136')).toBe(false);
    expect(plateMatches('湘ATL269', '皖ATL269')).toBe(false);
  });

  it('counts a labelled plate once, another read of it as a duplicate, and a valid read of nothing as wrong', () => {
    const label = {
      plates: [
        { text: '湘A3MA06', colour: 'blue' },
        { text: '湘ATL269', colour: 'blue' },
      ],
      vehicles: 2,
      wheelers: 0,
      riders: 0,
      people: 0,
    };
    const s = scorePlates(label, [
      { text: '湘A3MA06', valid: true },
      { text: '湘A3MA06', valid: true },
      { text: '皖ATL269', valid: true, uncertain: [0] },
      { text: '湘AY4936', valid: true },
      { text: '长WT33B稍横', valid: false, notPlate: { code: 'han_inside' } },
    ]);
    expect(s).toMatchObject({
      exact: 1,
      duplicates: 1,
      wrongValid: ['皖ATL269', '湘AY4936'],
      wrongSure: ['湘AY4936'],
      sureReads: 3,
      notPlates: 1,
      notPlateCodes: ['han_inside'],
      validReads: 4,
    });
    expect(s.missed.map((p) => p.text)).toEqual(['湘ATL269']);
  });

  it('counts what was found up to what is there, and more than that as extra', () => {
    const label = { plates: [], vehicles: 3, wheelers: 1, riders: 2, people: 4 };
    const d = scoreDetections(label, {
      vehicles: [
        { class: 'motorcycle', riders: 1, violation: false },
        { class: 'car', riders: 0, violation: false },
        { class: 'car', riders: 0, violation: false },
        { class: 'bus', riders: 0, violation: true },
      ],
      persons: 1,
    });
    expect(d).toEqual({
      vehicles: { found: 3, extra: 1 },
      wheelers: { found: 1, extra: 0 },
      riders: { found: 1, extra: 0 },
      people: { found: 1, extra: 0 },
      violations: 1,
    });
  });
});
