import type { Box } from '../text-detector.ts';

export interface RawDetection {
  classIndex: number;
  score: number;
  /** In model input pixels: [x, y, width, height]. */
  box: Box;
}

/**
 * YOLOv8 (ultralytics export): one output [1, 4 + classes, anchors] — cx, cy, w, h in input
 * pixels, then a score per class (no objectness). Some exports are transposed [1, anchors, 4 + classes];
 * the layout is told by which side is 4 + classes.
 */
export function decodeYolov8(
  data: Float32Array,
  dims: readonly number[],
  classes: number,
  threshold: number,
): RawDetection[] {
  const [, a, b] = dims;
  const transposed = a !== 4 + classes && b === 4 + classes;
  const n = transposed ? a : b;
  const at = (field: number, i: number) => (transposed ? data[i * (4 + classes) + field] : data[field * n + i]);
  const out: RawDetection[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (at(4 + c, i) > at(4 + best, i)) best = c;
    const score = at(4 + best, i);
    if (score < threshold) continue;
    out.push({ classIndex: best, score, box: centreBox(at(0, i), at(1, i), at(2, i), at(3, i)) });
  }
  return out;
}

/** YOLOv5: [1, anchors, 5 + classes] — cx, cy, w, h, objectness, class probabilities; score = objectness × class. */
export function decodeYolov5(
  data: Float32Array,
  dims: readonly number[],
  classes: number,
  threshold: number,
): RawDetection[] {
  const n = dims[1];
  const stride = 5 + classes;
  if (dims[2] !== stride)
    throw new Error(`yolov5 output is [${dims.join(', ')}], expected [1, N, ${stride}] for ${classes} classes`);
  const out: RawDetection[] = [];
  for (let i = 0; i < n; i++) {
    const row = i * stride;
    const obj = data[row + 4];
    if (obj < threshold) continue;
    let best = 0;
    for (let c = 1; c < classes; c++) if (data[row + 5 + c] > data[row + 5 + best]) best = c;
    const score = obj * data[row + 5 + best];
    if (score < threshold) continue;
    out.push({ classIndex: best, score, box: centreBox(data[row], data[row + 1], data[row + 2], data[row + 3]) });
  }
  return out;
}

const centreBox = (cx: number, cy: number, w: number, h: number): Box => [cx - w / 2, cy - h / 2, w, h];

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  return inter / Math.max(1e-9, a[2] * a[3] + b[2] * b[3] - inter);
}

/** Greedy non-maximum suppression per class (one class when there is no classIndex): the best box stays, those overlapping it more than `threshold` go. */
export function nms<T extends { score: number; box: Box; classIndex?: number }>(dets: T[], threshold: number): T[] {
  const kept: T[] = [];
  for (const d of [...dets].sort((x, y) => y.score - x.score)) {
    if (!kept.some((k) => k.classIndex === d.classIndex && iou(k.box, d.box) > threshold)) kept.push(d);
  }
  return kept;
}
