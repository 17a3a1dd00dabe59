import type * as ort from 'onnxruntime-node';
import { decodeCenternet } from './decoders/centernet.ts';
import { decodeNanodet } from './decoders/nanodet.ts';
import { decodeYolov5, decodeYolov8, nms, type RawDetection } from './decoders/yolo.ts';
import { loadModelSession, toTensor, type ModelInfo } from './models/model-session.ts';
import { fitImage } from './letterbox.ts';
import { type ModelEntry, TASK_DECODERS } from './models/manifest.ts';
import type { Box } from './text-detector.ts';

export type ObjectKind = 'person' | 'vehicle' | 'other';

export interface Detection {
  class: string;
  kind: ObjectKind;
  score: number;
  /** In image pixels: [x, y, width, height]. */
  box: Box;
}

const PERSON = new Set(['person', 'pedestrian', 'rider', 'driver', 'passenger']);
const VEHICLE = new Set([
  'tricycle',
  'three_wheeler',
  'minivan',
  'van',
  'car',
  'bus',
  'truck',
  'motorcycle',
  'motorbike',
  'bicycle',
  'e-bike',
  'ebike',
  'tractor',
]);

/** What a class name means to the rules: people ride, vehicles carry them. */
export function kindOf(name: string): ObjectKind {
  const n = name.toLowerCase();
  return PERSON.has(n) ? 'person' : VEHICLE.has(n) ? 'vehicle' : 'other';
}

/**
 * A box detector described by the model manifest (YOLOv5/v8 exports, a county's own tricycle
 * model): letterbox or stretch to the input size, normalise, run, decode, suppress overlaps per
 * class, and map boxes back to the image.
 */
export class ObjectDetector {
  private constructor(
    readonly model: ModelEntry,
    readonly info: ModelInfo,
    private readonly session: ort.InferenceSession,
  ) {}

  /** An ONNX file, or a TensorFlow.js graph (model.json beside its weights), converted to ONNX here. */
  static async load(model: ModelEntry): Promise<ObjectDetector> {
    const detectors = TASK_DECODERS.objects;
    if (!detectors.includes(model.decoder))
      throw new Error(
        `model ${model.name}: the ${model.decoder} decoder is not an object detector (${detectors.join(', ')})`,
      );
    const { session, info } = await loadModelSession(model);
    return new ObjectDetector(model, info, session);
  }

  private decode(out: ort.InferenceSession.OnnxValueMapType, classes: number, threshold: number): RawDetection[] {
    const m = this.model;
    const all = this.session.outputNames.map((n) => out[n] as ort.Tensor);
    if (m.decoder === 'nanodet') {
      // Outputs come in pairs per level: class scores [1, cells, classes] and distances [1, cells, 4 × bins].
      const levels = all
        .filter((t) => t.dims[2] === classes)
        .map((s) => ({
          scores: s.data as Float32Array,
          distances: all.find((d) => d !== s && d.dims[1] === s.dims[1])!.data as Float32Array,
          cells: Number(s.dims[1]),
        }));
      return decodeNanodet(levels, classes, m.input.width, threshold);
    }
    if (m.decoder === 'centernet') {
      // Two outputs, NHWC: the class heatmap [1, rows, cols, classes] and the side distances [1, rows, cols, 4].
      const heat = all.find((t) => t.dims.length === 4 && t.dims[3] === classes);
      const sides = all.find((t) => t !== heat && t.dims.length === 4 && t.dims[3] === 4);
      if (!heat || !sides)
        throw new Error(
          `model ${m.name}: the centernet decoder needs two NHWC outputs, [1, rows, cols, ${classes}] and [1, rows, cols, 4]; ` +
            `the model gives ${all.map((t) => `[${t.dims.join(', ')}]`).join(' and ')} (name them with outputs:)`,
        );
      const [rows, cols] = [Number(heat.dims[1]), Number(heat.dims[2])];
      return decodeCenternet(
        { heatmap: heat.data as Float32Array, sides: sides.data as Float32Array, rows, cols },
        classes,
        m.input.width,
        threshold,
      );
    }
    const t = all[0]!;
    return m.decoder === 'yolov8'
      ? decodeYolov8(t.data as Float32Array, t.dims, classes, threshold)
      : decodeYolov5(t.data as Float32Array, t.dims, classes, threshold);
  }

  async detect(image: Buffer): Promise<Detection[]> {
    const m = this.model;
    const { width: w, height: h } = m.input;
    const fit = await fitImage(image, w, h, { mode: m.input.resize, pad: 114 });
    const W0 = fit.imageWidth;
    const H0 = fit.imageHeight;
    const input = toTensor(fit.rgb, w, h, m.input);
    const out = await this.session.run({ [this.session.inputNames[0]]: input });
    const classes = m.classes!;
    const threshold = m.scoreThreshold ?? 0.35;
    const raw = this.decode(out, classes.length, threshold);
    return nms(raw, m.iouThreshold ?? 0.45).map((d) => {
      const [ax, ay] = fit.back(d.box[0], d.box[1]);
      const [bx, by] = fit.back(d.box[0] + d.box[2], d.box[1] + d.box[3]);
      const [x0, y0, x1, y1] = [clamp(ax, W0), clamp(ay, H0), clamp(bx, W0), clamp(by, H0)];
      const name = classes[d.classIndex] ?? `class_${d.classIndex}`;
      return {
        class: name,
        kind: kindOf(name),
        score: Math.round(d.score * 1000) / 1000,
        box: [Math.round(x0), Math.round(y0), Math.round(x1 - x0), Math.round(y1 - y0)] as Box,
      };
    });
  }
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));
