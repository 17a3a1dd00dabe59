import type { RawDetection } from './yolo.ts';

/** CenterNet's two heads, NHWC as TensorFlow exports them. */
export interface CenternetHeads {
  /** [1, rows, cols, classes]: how likely each cell is an object's centre (already sigmoid). */
  heatmap: Float32Array;
  /** [1, rows, cols, 4]: distances from the centre to the left, top, right and bottom sides, in input pixels. */
  sides: Float32Array;
  rows: number;
  cols: number;
}

/**
 * CenterNet ("objects as points"): an object is a cell whose class score is the highest of its
 * 3×3 neighbours for that class (the model's own max-pool suppression), its box the four side
 * distances from that cell's corner point times the stride. The `limit` strongest peaks are kept,
 * as the model's own top-k keeps 100.
 */
export function decodeCenternet(
  h: CenternetHeads,
  classes: number,
  inputWidth: number,
  threshold: number,
  limit = 100,
): RawDetection[] {
  const stride = inputWidth / h.cols;
  const at = (r: number, c: number, k: number) => h.heatmap[(r * h.cols + c) * classes + k];
  const out: RawDetection[] = [];
  for (let r = 0; r < h.rows; r++) {
    for (let c = 0; c < h.cols; c++) {
      for (let k = 0; k < classes; k++) {
        const s = at(r, c, k);
        if (s < threshold || !isPeak(at, h.rows, h.cols, r, c, k, s)) continue;
        const d = (r * h.cols + c) * 4;
        const [x, y] = [c * stride, r * stride];
        const [left, top, right, bottom] = [h.sides[d], h.sides[d + 1], h.sides[d + 2], h.sides[d + 3]];
        out.push({ classIndex: k, score: s, box: [x - left, y - top, left + right, top + bottom] });
      }
    }
  }
  return out.sort((a, b) => b.score - a.score).slice(0, limit);
}

function isPeak(
  at: (r: number, c: number, k: number) => number,
  rows: number,
  cols: number,
  r: number,
  c: number,
  k: number,
  s: number,
): boolean {
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      const [rr, cc] = [r + dr, c + dc];
      if (rr >= 0 && rr < rows && cc >= 0 && cc < cols && at(rr, cc, k) > s) return false;
    }
  }
  return true;
}
