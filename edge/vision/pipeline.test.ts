import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../../sim/vision/synthetic-plate.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../../sim/vision/tiny-yolo.ts';
import { FACE_MATCH_THRESHOLD, decodeEmbedding, faceSimilarity } from '../../protocols/index.ts';
import { FaceDetector } from './face-detector.ts';
import { FaceEmbedder } from './face-embedder.ts';
import { VisionPipeline } from './pipeline.ts';

/**
 * The tiny YOLO-shaped model always sees, in a 1280×720 frame, a tricycle at [440, 260, 400, 200],
 * one person on it and one beside it; the synthetic plate is pasted onto the tricycle.
 */
describe.skipIf(!haveCjkFont())('vision pipeline: vehicles, riders, the rule, the plate in the vehicle box', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-pipeline-'));
  let manifest: string;
  beforeAll(() => {
    writeFileSync(join(dir, 'tiny.onnx'), tinyYoloModel('yolov8'));
    manifest = join(dir, 'models.yaml');
    writeFileSync(manifest, `models:\n  - name: tiny-tricycle\n    version: "1"\n    task: objects\n    file: tiny.onnx\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [${TINY_YOLO_CLASSES.join(', ')}]\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the plate and finds the driver’s face of a tricycle carrying a passenger, in frame coordinates', async () => {
    const pipeline = await VisionPipeline.load({ manifest, rules: { maxRiders: { tricycle: 0 } } });
    const scene = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 });
    // A real face (from the face-api demo photos) where the rider's head is.
    const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
    const face = await sharp(demo).extract({ left: 380, top: 360, width: 270, height: 290 }).resize(120).toBuffer();
    const frame = await sharp(scene).composite([{ input: face, left: 600, top: 220 }]).jpeg().toBuffer();
    const r = await pipeline.run(frame);
    expect(r.persons).toBe(2);
    expect(r.models).toEqual([
      { name: 'tiny-tricycle', version: '1', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { name: 'faceres', version: 'human-models-3.0.4', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(r.vehicles).toHaveLength(1);
    const [v] = r.vehicles;
    expect(v).toMatchObject({ class: 'tricycle', box: [440, 260, 400, 200], riders: 1, violation: true, kind: 'tricycle_passengers', plate: { text: '鲁PA1234', valid: true, colour: 'blue' } });
    const [x, y] = v.plate!.box;
    expect(Math.abs(x - 560)).toBeLessThan(20);
    expect(Math.abs(y - 400)).toBeLessThan(20);
    expect(v.face!.score).toBeGreaterThan(0.7);
    const [fx, fy, fw, fh] = v.face!.box;
    expect(fx + fw / 2).toBeGreaterThan(600);
    expect(fx + fw / 2).toBeLessThan(720);
    expect(fy + fh / 2).toBeGreaterThan(220);
    expect(fy + fh / 2).toBeLessThan(350);
    // The descriptor matches the same woman in the original photo, at full size, and not the others there.
    const [detector, embedder] = await Promise.all([FaceDetector.load(), FaceEmbedder.load()]);
    const photo = readFileSync(demo);
    const there = await Promise.all((await detector.detect(photo)).map((f) => embedder.embed(photo, f)));
    const mine = decodeEmbedding(v.face!.embedding!);
    expect(v.face!.embedding).toMatchObject({ model: 'faceres', dims: 1024 });
    expect(faceSimilarity(mine, there[0])).toBeGreaterThanOrEqual(FACE_MATCH_THRESHOLD);
    for (const other of there.slice(1)) expect(faceSimilarity(mine, other)).toBeLessThan(FACE_MATCH_THRESHOLD);
  });

  it('still reports a violating vehicle without a readable plate (plate null, with why), and leaves lawful ones alone', async () => {
    const strict = await VisionPipeline.load({ manifest, rules: { maxRiders: { tricycle: 0 } } });
    const empty = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 20, y: 20, plateWidth: 40 });
    const [v] = (await strict.run(empty)).vehicles;
    expect(v).toMatchObject({ violation: true, plate: null, plateReason: expect.stringContaining('no plate found'), face: null, faceReason: expect.stringContaining('no face found') });
    const lawful = await VisionPipeline.load({ manifest });
    const [ok] = (await lawful.run(empty)).vehicles;
    expect(ok).toMatchObject({ violation: false, riders: 1, plate: null, plateReason: 'not searched: no violation' });
  });
});
