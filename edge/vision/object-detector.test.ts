import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOnnxModel } from './models/onnx-builder.ts';
import { loadModelManifest } from './models/manifest.ts';
import { ObjectDetector } from './object-detector.ts';

const CLASSES = ['tricycle', 'person', 'minivan'];
// Anchors in 64×64 model-input pixels: cx, cy, w, h, then a score per class.
const ANCHORS = [
  [32, 32, 20, 10, 0.9, 0, 0], // tricycle
  [33, 32, 20, 10, 0.8, 0, 0], // the same tricycle again: suppressed
  [12, 30, 8, 16, 0, 0.7, 0], // a person beside it
  [32, 33, 8, 8, 0, 0.6, 0], // a person on it (another class: kept)
  [50, 40, 6, 6, 0, 0, 0.2], // a faint minivan: under the threshold
  [0, 0, 0, 0, 0, 0, 0],
];

/**
 * A tiny model with the output layout of a YOLO export: its output is a constant (the anchors)
 * plus 0 × the mean of the image, so the image path is exercised but the answer is known.
 */
function yoloModel(layout: 'yolov8' | 'yolov8-transposed' | 'yolov5'): Buffer {
  let rows = ANCHORS;
  if (layout === 'yolov5') rows = ANCHORS.map((a) => [...a.slice(0, 4), Math.max(...a.slice(4)) > 0 ? 1 : 0, ...a.slice(4)]);
  const fields = rows[0].length;
  const dims = layout === 'yolov8' ? [1, fields, rows.length] : [1, rows.length, fields];
  const data = new Float32Array(rows.length * fields);
  rows.forEach((r, i) => r.forEach((v, f) => (data[layout === 'yolov8' ? f * rows.length + i : i * fields + f] = v)));
  return buildOnnxModel({
    name: layout,
    inputs: [{ name: 'images', type: 'float32', shape: [1, 3, 64, 64] }],
    outputs: [{ name: 'output0', type: 'float32', shape: dims }],
    initializers: [
      { name: 'anchors', type: 'float32', dims, data },
      { name: 'zero', type: 'float32', dims: [], data: new Float32Array([0]) },
    ],
    nodes: [
      { op: 'ReduceMean', inputs: ['images'], outputs: ['mean'], attributes: { keepdims: 0 } },
      { op: 'Mul', inputs: ['mean', 'zero'], outputs: ['nothing'] },
      { op: 'Add', inputs: ['anchors', 'nothing'], outputs: ['output0'] },
    ],
  });
}

describe('model manifest and YOLO decoders (tiny ONNX models generated here)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-models-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const manifest = (entries: string) => {
    const f = join(dir, `models-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, `models:\n${entries}`);
    return f;
  };
  const entry = (file: string, decoder: string, sha?: string) =>
    `  - name: county-${decoder}\n    task: objects\n    file: ${file}\n${sha ? `    sha256: "${sha}"\n` : ''}    input: { width: 64, height: 64 }\n    decoder: ${decoder}\n    classes: [${CLASSES.join(', ')}]\n`;

  for (const layout of ['yolov8', 'yolov8-transposed', 'yolov5'] as const) {
    it(`decodes a ${layout} export dropped in by manifest: thresholds, per-class suppression, letterbox undone`, async () => {
      const model = yoloModel(layout);
      writeFileSync(join(dir, `${layout}.onnx`), model);
      const sha = createHash('sha256').update(model).digest('hex');
      const m = loadModelManifest(manifest(entry(`${layout}.onnx`, layout === 'yolov5' ? 'yolov5' : 'yolov8', sha)));
      const detector = await ObjectDetector.load(m.models[0]);
      // 128×64: letterboxed into 64×64 at scale 0.5 with 16-pixel bars above and below.
      const image = await sharp({ create: { width: 128, height: 64, channels: 3, background: { r: 30, g: 90, b: 40 } } }).jpeg().toBuffer();
      const found = await detector.detect(image);
      expect(found).toEqual([
        { class: 'tricycle', kind: 'vehicle', score: 0.9, box: [44, 22, 40, 20] },
        { class: 'person', kind: 'person', score: 0.7, box: [16, 12, 16, 32] },
        { class: 'person', kind: 'person', score: 0.6, box: [56, 26, 16, 16] },
      ]);
    });
  }

  it('refuses a manifest whose file was swapped, a box decoder without classes, and an unknown decoder, naming each', () => {
    writeFileSync(join(dir, 'm.onnx'), yoloModel('yolov8'));
    expect(() => loadModelManifest(manifest(entry('m.onnx', 'yolov8', '0'.repeat(64))))).toThrow(/sha256: .* has SHA-256 [0-9a-f]{64}, the manifest says 0{64}/);
    expect(() => loadModelManifest(manifest('  - name: x\n    task: objects\n    file: m.onnx\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n'))).toThrow(/classes: the yolov8 decoder needs the class names/);
    expect(() => loadModelManifest(manifest(entry('m.onnx', 'yolov9')))).toThrow(/decoder/);
    expect(() => loadModelManifest(manifest(entry('missing.onnx', 'yolov8')))).toThrow(/missing\.onnx does not exist/);
  });
});
