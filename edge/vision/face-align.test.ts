import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ARCFACE_112, alignFace, applySimilarity, fitSimilarity, warpRgb, type Point } from './face-align.ts';

describe('face alignment', () => {
  it('fits the similarity that made the points: rotation, scale and shift recovered', () => {
    const [angle, scale, tx, ty] = [0.5, 1.7, 12, -30];
    const m = { a: scale * Math.cos(angle), b: scale * Math.sin(angle), tx, ty };
    const from: Point[] = [
      [0, 0],
      [10, 3],
      [4, 9],
      [-6, 2],
    ];
    const fit = fitSimilarity(
      from,
      from.map((p) => applySimilarity(m, p)),
    );
    for (const k of ['a', 'b', 'tx', 'ty'] as const) expect(fit[k]).toBeCloseTo(m[k], 9);
  });

  it('refuses points that cannot define a similarity', () => {
    expect(() => fitSimilarity([[1, 1]], [[2, 2]])).toThrow(/at least two/);
    expect(() =>
      fitSimilarity(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [5, 5],
        ],
      ),
    ).toThrow(/coincide/);
  });

  it('warps pixels through the inverse: a bright pixel lands where the transform sends it', () => {
    const W = 20;
    const rgb = new Uint8Array(W * W * 3);
    rgb.set([255, 255, 255], (5 * W + 7) * 3);
    const m = { a: 2, b: 0, tx: 3, ty: 1 }; // (7, 5) → (17, 11)
    const out = warpRgb(rgb, W, W, m, 40, 40);
    let best = [0, 0, -1];
    for (let y = 0; y < 40; y++)
      for (let x = 0; x < 40; x++) if (out[(y * 40 + x) * 3] > best[2]) best = [x, y, out[(y * 40 + x) * 3]];
    expect(best.slice(0, 2)).toEqual([17, 11]);
  });

  it('puts the eyes, nose and mouth of a tilted face where the template has them', async () => {
    // A grey square with four dots, turned 20° and enlarged ×3: the landmarks of a synthetic "face".
    const m = { a: 3 * Math.cos(0.35), b: 3 * Math.sin(0.35), tx: 200, ty: 60 };
    const marks = ARCFACE_112.map((p) => applySimilarity(m, p));
    const dots = marks.map(([x, y]) => `<circle cx="${x}" cy="${y}" r="7" fill="white"/>`).join('');
    const image = await sharp(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="#202020"/>${dots}</svg>`,
      ),
    )
      .png()
      .toBuffer();
    const out = await alignFace(image, marks, [150, 60, 340, 340], 112);
    for (const [x, y] of ARCFACE_112) {
      const v = out[(Math.round(y) * 112 + Math.round(x)) * 3];
      expect(v, `template point ${x},${y}`).toBeGreaterThan(150);
    }
    // And the space between the eyes is dark: the dots are not smeared over the face.
    expect(out[(52 * 112 + 56) * 3]).toBeLessThan(80);
  });
});
