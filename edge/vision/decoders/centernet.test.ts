import { describe, expect, it } from 'vitest';
import { decodeCenternet } from './centernet.ts';

/** A 4×4 grid over a 16-pixel input (stride 4), 2 classes, with the given cells set. */
function heads(cells: Array<{ r: number; c: number; k: number; s: number; sides?: number[] }>) {
  const heatmap = new Float32Array(4 * 4 * 2);
  const sides = new Float32Array(4 * 4 * 4);
  for (const { r, c, k, s, sides: d } of cells) {
    heatmap[(r * 4 + c) * 2 + k] = s;
    if (d) sides.set(d, (r * 4 + c) * 4);
  }
  return { heatmap, sides, rows: 4, cols: 4 };
}

describe('CenterNet decoding: peaks of the class heatmap, boxes from the four side distances', () => {
  it('keeps a cell only where it is the highest of its 3×3 neighbours in its own class', () => {
    const found = decodeCenternet(
      heads([
        { r: 1, c: 1, k: 0, s: 0.9, sides: [2, 3, 4, 5] },
        { r: 1, c: 2, k: 0, s: 0.6 }, // beside a stronger peak of the same class: suppressed
        { r: 1, c: 2, k: 1, s: 0.5, sides: [1, 1, 1, 1] }, // same place, other class: kept
        { r: 3, c: 3, k: 0, s: 0.1 }, // under the threshold
      ]),
      2,
      16,
      0.3,
    );
    expect(found).toEqual([
      { classIndex: 0, score: expect.closeTo(0.9, 5), box: [4 - 2, 4 - 3, 2 + 4, 3 + 5] },
      { classIndex: 1, score: expect.closeTo(0.5, 5), box: [8 - 1, 4 - 1, 2, 2] },
    ]);
  });

  it('keeps the strongest `limit` peaks, strongest first', () => {
    const found = decodeCenternet(
      heads([
        { r: 0, c: 0, k: 0, s: 0.4 },
        { r: 0, c: 3, k: 0, s: 0.8 },
        { r: 3, c: 0, k: 0, s: 0.6 },
      ]),
      2,
      16,
      0.3,
      2,
    );
    expect(found.map((d) => d.score.toFixed(1))).toEqual(['0.8', '0.6']);
  });
});
