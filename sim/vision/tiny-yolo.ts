import { buildOnnxModel } from '../../edge/index.ts';

export const TINY_YOLO_CLASSES = ['tricycle', 'person', 'minivan'];
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
export function tinyYoloModel(layout: 'yolov8' | 'yolov8-transposed' | 'yolov5'): Buffer {
  let rows = ANCHORS;
  if (layout === 'yolov5')
    rows = ANCHORS.map((a) => [...a.slice(0, 4), Math.max(...a.slice(4)) > 0 ? 1 : 0, ...a.slice(4)]);
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
