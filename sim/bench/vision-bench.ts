import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { randomBytes } from 'node:crypto';
import { defaultObjectModel, nanodetObjectModel, ObjectDetector, VisionPipeline } from '../../edge/index.ts';
import { FaceIndex, openSqliteStore } from '../../gateway/index.ts';
import { encodeEmbedding, type EvidenceManifest } from '../../protocols/index.ts';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../vision/synthetic-plate.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../vision/tiny-yolo.ts';
import { rssMb, summary, value, type BenchLine } from './report.ts';

export interface VisionBenchOptions {
  frames?: number;
  /** Earlier sightings with a read plate that the gateway searches for a plateless driver. */
  faces?: number;
  onProgress?: (msg: string) => void;
}

const BENCH = 'vision';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up: the first run allocates onnxruntime's buffers
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * Every model loaded once, in one pipeline: the built-in CenterNet, plus a tiny YOLO-shaped model
 * that always sees an overloaded tricycle, so that a whole violation frame (detection, rule,
 * plate search, driver's face, its descriptor) can be timed on this machine. The stages are then
 * timed alone: each built-in detector (CenterNet, and NanoDet-m, the lighter one), PP-OCR text detection over a 1280×720 frame, recognition of one plate line, the
 * plate search, BlazeFace on a 1920×1280 photo and faceres on one face.
 */
export async function runVisionBench(o: VisionBenchOptions = {}): Promise<BenchLine[]> {
  if (!haveCjkFont())
    throw new Error('bench vision renders synthetic plates and needs a CJK font: apt-get install fonts-wqy-zenhei');
  const n = o.frames ?? 30;
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-vision-'));
  try {
    writeFileSync(join(dir, 'tiny.onnx'), tinyYoloModel('yolov8'));
    const tiny = {
      name: 'tiny-tricycle',
      task: 'objects',
      file: join(dir, 'tiny.onnx'),
      input: { width: 64, height: 64 },
      decoder: 'yolov8',
      classes: TINY_YOLO_CLASSES,
    };
    // JSON is YAML: the manifest is written as JSON.
    writeFileSync(join(dir, 'models.yaml'), JSON.stringify({ models: [defaultObjectModel(), tiny] }));
    o.onProgress?.('loading models');
    const pipeline = await VisionPipeline.load({
      manifest: join(dir, 'models.yaml'),
      rules: { maxRiders: { tricycle: 0 } },
    });
    const [centernet] = pipeline.detectors;
    const nanodet = await ObjectDetector.load(nanodetObjectModel());
    const { plates: finder, faces, embedder } = pipeline;

    const photo = readFileSync(
      join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg'),
    );
    const street = await sharp(photo).resize(1280, 720, { fit: 'cover' }).jpeg().toBuffer();
    const scene = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 });
    const driver = await sharp(photo).extract({ left: 380, top: 360, width: 270, height: 290 }).resize(120).toBuffer();
    const violation = await sharp(scene)
      .composite([{ input: driver, left: 600, top: 220 }])
      .jpeg()
      .toBuffer();
    const check = await pipeline.run(violation);
    const v = check.vehicles.find((x) => x.violation);
    if (!v?.plate || !v.face?.embedding)
      throw new Error('bench vision: the violation frame did not give a plate and a described face');

    o.onProgress?.(`built-in detector (CenterNet) on ${n} frames`);
    const det = await timed(n, () => centernet.detect(street));
    o.onProgress?.(`NanoDet-m on ${n} frames`);
    const nanoDet = await timed(n, () => nanodet.detect(street));
    o.onProgress?.(`whole pipeline on ${n} violation frames`);
    const whole = await timed(n, () => pipeline.run(violation));
    o.onProgress?.(`text detection on ${n} frames`);
    const textDet = await timed(n, () => finder.detector.detect(scene));
    o.onProgress?.(`recognition of ${n} plate lines`);
    const line = await renderPlate({ text: '鲁PB7Z21' });
    const rec = await timed(n, () => finder.reader.read(line));
    o.onProgress?.(`plate search on ${n} frames`);
    const find = await timed(n, () => finder.find(scene));
    o.onProgress?.(`face detection on ${n} photos`);
    const face = await timed(n, () => faces.detect(photo));
    o.onProgress?.(`face descriptors of ${n} faces`);
    const [first] = await faces.detect(photo);
    const emb = await timed(n, () => embedder!.embed(photo, first));
    const sightings = o.faces ?? 10_000;
    o.onProgress?.(`face search over ${sightings} sightings at the gateway`);
    const key = randomBytes(32);
    const index = new FaceIndex(openSqliteStore(join(dir, 'gw'), key), key);
    const descriptor = await embedder!.embed(photo, first);
    const sighting = (i: number, plate: string | null): EvidenceManifest => ({
      v: 1,
      id: `m${i}`,
      deviceId: 'lc-bench',
      ts: new Date().toISOString(),
      evidenceId: `ev${i}`,
      capturedAt: new Date().toISOString(),
      models: [],
      hash: '0'.repeat(64),
      images: [{ role: 'frame', sha256: '0'.repeat(64), bytes: 1, mime: 'image/jpeg', width: 1, height: 1 }],
      recognitions: [
        ...(plate
          ? [
              {
                what: 'plate' as const,
                label: 'blue',
                score: 1,
                box: [0, 0, 1, 1] as [number, number, number, number],
                value: plate,
              },
            ]
          : []),
        {
          what: 'face',
          label: 'driver',
          score: 1,
          box: [0, 0, 1, 1],
          embedding: encodeEmbedding(
            'faceres',
            descriptor.map((x, k) => x + Math.sin(i * 31 + k) * 0.2),
          ),
        },
      ],
    });
    for (let i = 0; i < sightings; i++) await index.record(sighting(i, `鲁P${String(10000 + (i % 90000)).slice(-5)}`));
    await index.record(sighting(-1, null));
    const search = await timed(Math.min(n, 10), () => index.matches('ev-1'));
    return [
      summary(BENCH, 'detector_ms', 'ms', det, {
        frame: '1280x720',
        model: 'CenterNet MobileNetV3 COCO 512 (tfjs → ONNX), the default',
        fps: Math.round((1000 / median(det)) * 10) / 10,
      }),
      summary(BENCH, 'nanodet_ms', 'ms', nanoDet, {
        frame: '1280x720',
        model: 'NanoDet-m COCO 416 (tfjs → ONNX), by manifest',
        fps: Math.round((1000 / median(nanoDet)) * 10) / 10,
      }),
      summary(BENCH, 'pipeline_ms', 'ms', whole, {
        frame: '1280x720',
        content: 'one overloaded tricycle: detectors, rule, plate search, driver face and descriptor',
        plate: v.plate.text,
      }),
      summary(BENCH, 'plate_det_ms', 'ms', textDet, {
        frame: '1280x720',
        model: 'PP-OCRv4 det (onnxruntime-node, CPU)',
      }),
      summary(BENCH, 'plate_rec_ms', 'ms', rec, { input: '48x320', model: 'PP-OCRv4 rec' }),
      summary(BENCH, 'plate_pipeline_ms', 'ms', find, {
        frame: '1280x720',
        plates: 1,
        stages: 'det + join + rec + colour',
      }),
      summary(BENCH, 'face_det_ms', 'ms', face, {
        photo: '1920x1280, 3 faces',
        model: 'BlazeFace back 256 (onnxruntime-node, CPU)',
      }),
      summary(BENCH, 'embedding_ms', 'ms', emb, {
        input: '224x224 aligned',
        model: 'faceres (tfjs → ONNX), 1024 numbers',
        includes: 'alignment',
      }),
      summary(BENCH, 'face_match_ms', 'ms', search, {
        sightings,
        where: 'gateway: decrypt and compare every sighting with a read plate (SQLite, AES-256-GCM)',
      }),
      value(BENCH, 'rss_mb', 'MB', rssMb(), {
        models:
          'CenterNet, NanoDet-m, PP-OCRv4 det + rec, BlazeFace, faceres (each loaded once), and the gateway face index',
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
