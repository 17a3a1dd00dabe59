import type { RawDetection } from './yolo.ts';

export interface NanodetLevel {
  /** [1, cells, classes] class probabilities (already sigmoid). */
  scores: Float32Array;
  /** [1, cells, 4 × bins] distance distributions (GFL), left, top, right, bottom. */
  distances: Float32Array;
  cells: number;
}

/**
 * NanoDet (GFL head): per level a square grid over the input; each cell has class probabilities
 * and, for each side, a distribution over `bins` distances whose expectation × stride is the
 * distance from the cell centre to that side of the box.
 */
export function decodeNanodet(
  levels: NanodetLevel[],
  classes: number,
  inputSize: number,
  threshold: number,
  centreOffset = 0.5,
): RawDetection[] {
  const out: RawDetection[] = [];
  for (const l of levels) {
    const grid = Math.round(Math.sqrt(l.cells));
    const stride = inputSize / grid;
    const perCell = l.distances.length / l.cells;
    const bins = perCell / 4;
    for (let i = 0; i < l.cells; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (l.scores[i * classes + c] > l.scores[i * classes + best]) best = c;
      const score = l.scores[i * classes + best];
      if (score < threshold) continue;
      const cx = ((i % grid) + centreOffset) * stride;
      const cy = (Math.floor(i / grid) + centreOffset) * stride;
      const d = [0, 1, 2, 3].map((side) => {
        const base = i * perCell + side * bins;
        let max = -Infinity;
        for (let b = 0; b < bins; b++) max = Math.max(max, l.distances[base + b]);
        let sum = 0;
        let exp = 0;
        for (let b = 0; b < bins; b++) {
          const e = Math.exp(l.distances[base + b] - max);
          sum += e;
          exp += e * b;
        }
        return (exp / sum) * stride;
      });
      out.push({ classIndex: best, score, box: [cx - d[0], cy - d[1], d[0] + d[2], d[1] + d[3]] });
    }
  }
  return out;
}

/** COCO's 80 classes in the order COCO-trained detectors (NanoDet, YOLO) number them. */
export const COCO_CLASSES = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
];
