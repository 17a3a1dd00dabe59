import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { defaultObjectModel, FaceDetector, ObjectDetector, PlateFinder, VisionPipeline } from '../../edge/index.ts';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../vision/synthetic-plate.ts';
import { rssMb, summary, value, type BenchLine } from './report.ts';

export interface VisionBenchOptions {
  frames?: number;
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
 * The plate stages on this machine: PP-OCR text detection over a whole 1280×720 frame,
 * recognition of one plate line, and the whole plate search (detect, join, read, colour) on a
 * frame with one plate; BlazeFace on a 1920×1280 photo; the built-in NanoDet detector and the
 * whole pipeline on a 1280×720 frame of the same photo.
 */
export async function runVisionBench(o: VisionBenchOptions = {}): Promise<BenchLine[]> {
  if (!haveCjkFont()) throw new Error('bench vision renders synthetic plates and needs a CJK font: apt-get install fonts-wqy-zenhei');
  const n = o.frames ?? 30;
  o.onProgress?.('loading models');
  const finder = await PlateFinder.load();
  const plate = await renderPlate({ text: '鲁PA1234' });
  const frame = await sceneWithPlate(plate, { x: 520, y: 420, plateWidth: 220 });
  const line = await renderPlate({ text: '鲁PB7Z21' });
  o.onProgress?.(`text detection on ${n} frames`);
  const textDet = await timed(n, () => finder.detector.detect(frame));
  o.onProgress?.(`recognition of ${n} plate lines`);
  const rec = await timed(n, () => finder.reader.read(line));
  o.onProgress?.(`plate search on ${n} frames`);
  const find = await timed(n, () => finder.find(frame));
  o.onProgress?.(`face detection on ${n} photos`);
  const faces = await FaceDetector.load();
  const photo = readFileSync(join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg'));
  const face = await timed(n, () => faces.detect(photo));
  o.onProgress?.(`built-in detector (NanoDet-m) on ${n} frames`);
  const detector = await ObjectDetector.load(defaultObjectModel());
  const street = await sharp(photo).resize(1280, 720, { fit: 'cover' }).jpeg().toBuffer();
  const det = await timed(n, () => detector.detect(street));
  o.onProgress?.(`whole pipeline on ${n} frames`);
  const pipeline = await VisionPipeline.load({});
  const whole = await timed(n, () => pipeline.run(street));
  return [
    summary(BENCH, 'detector_ms', 'ms', det, { frame: '1280x720', model: 'NanoDet-m COCO 416 (tfjs → ONNX)', fps: Math.round((1000 / median(det)) * 10) / 10 }),
    summary(BENCH, 'pipeline_ms', 'ms', whole, { frame: '1280x720', content: '3 people, no vehicle: detector and rule only; a violation adds plate_pipeline_ms + face_det_ms' }),
    summary(BENCH, 'plate_det_ms', 'ms', textDet, { frame: '1280x720', model: 'PP-OCRv4 det (onnxruntime-node, CPU)' }),
    summary(BENCH, 'plate_rec_ms', 'ms', rec, { input: '48x320', model: 'PP-OCRv4 rec' }),
    summary(BENCH, 'plate_pipeline_ms', 'ms', find, { frame: '1280x720', plates: 1, stages: 'det + join + rec + colour' }),
    summary(BENCH, 'face_det_ms', 'ms', face, { photo: '1920x1280, 3 faces', model: 'BlazeFace back 256 (onnxruntime-node, CPU)' }),
    value(BENCH, 'rss_mb', 'MB', rssMb(), { models: 'NanoDet-m, PP-OCRv4 det + rec, BlazeFace (each loaded twice: stages and pipeline)' }),
  ];
}
