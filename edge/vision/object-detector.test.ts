import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_YOLO_CLASSES as CLASSES, tinyYoloModel as yoloModel } from '../../sim/vision/tiny-yolo.ts';
import { loadModelManifest } from './models/manifest.ts';
import { ObjectDetector } from './object-detector.ts';

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
      const image = await sharp({
        create: { width: 128, height: 64, channels: 3, background: { r: 30, g: 90, b: 40 } },
      })
        .jpeg()
        .toBuffer();
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
    expect(() => loadModelManifest(manifest(entry('m.onnx', 'yolov8', '0'.repeat(64))))).toThrow(
      /sha256: .* has SHA-256 [0-9a-f]{64}, the manifest says 0{64}/,
    );
    expect(() =>
      loadModelManifest(
        manifest(
          '  - name: x\n    task: objects\n    file: m.onnx\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n',
        ),
      ),
    ).toThrow(/classes: the yolov8 decoder needs the class names/);
    expect(() => loadModelManifest(manifest(entry('m.onnx', 'yolov9')))).toThrow(/decoder/);
    expect(() => loadModelManifest(manifest(entry('missing.onnx', 'yolov8')))).toThrow(/missing\.onnx does not exist/);
  });
});
