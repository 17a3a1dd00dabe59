import sharp from 'sharp';
import type { Box } from './text-detector.ts';

export type Point = [number, number];

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty: rotation, uniform scale and shift, no shear. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * Where ArcFace-style recognisers expect the eyes, nose tip and mouth centre in a 112×112 face
 * (InsightFace's template, the mouth centre taken between its two mouth corners). The first eye is
 * the one on the image's left, as BlazeFace lists it.
 */
export const ARCFACE_112: Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [56.1396, 92.2848],
];

/** The least-squares similarity taking `from` onto `to` (Umeyama in 2-D, closed form). */
export function fitSimilarity(from: Point[], to: Point[]): Similarity {
  if (from.length !== to.length || from.length < 2) throw new Error('a similarity needs at least two matching points');
  const n = from.length;
  const mean = (ps: Point[]): Point => [ps.reduce((s, p) => s + p[0], 0) / n, ps.reduce((s, p) => s + p[1], 0) / n];
  const [fx, fy] = mean(from);
  const [gx, gy] = mean(to);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const [px, py] = [from[i][0] - fx, from[i][1] - fy];
    const [qx, qy] = [to[i][0] - gx, to[i][1] - gy];
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new Error('the points coincide');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: gx - (a * fx - b * fy), ty: gy - (b * fx + a * fy) };
}

export function applySimilarity(m: Similarity, [x, y]: Point): Point {
  return [m.a * x - m.b * y + m.tx, m.b * x + m.a * y + m.ty];
}

/** Bilinear resampling of an RGB image through the inverse of `m`; outside the image is black. */
export function warpRgb(rgb: Uint8Array, W: number, H: number, m: Similarity, outW: number, outH: number): Uint8Array {
  const d = m.a * m.a + m.b * m.b;
  const [ia, ib] = [m.a / d, -m.b / d];
  const out = new Uint8Array(outW * outH * 3);
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      const [du, dv] = [u - m.tx, v - m.ty];
      const x = ia * du - ib * dv;
      const y = ib * du + ia * dv;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const [wx, wy] = [x - x0, y - y0];
      for (let c = 0; c < 3; c++) {
        const px = (xx: number, yy: number) =>
          xx < 0 || yy < 0 || xx >= W || yy >= H ? 0 : rgb[(yy * W + xx) * 3 + c];
        const top = px(x0, y0) * (1 - wx) + px(x0 + 1, y0) * wx;
        const bottom = px(x0, y0 + 1) * (1 - wx) + px(x0 + 1, y0 + 1) * wx;
        out[(v * outW + u) * 3 + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return out;
}

/**
 * The face cut out upright at `size`×`size` with its eyes, nose and mouth where the template puts
 * them (template scaled from 112 to `size`, and shrunk by `zoom` about the centre for models that
 * want more of the head). The region is first resized with a proper filter near the target scale,
 * so a large face is not aliased by point sampling.
 */
export async function alignFace(
  image: Buffer,
  keypoints: Point[],
  box: Box,
  size: number,
  zoom = 1,
): Promise<Uint8Array> {
  const target = ARCFACE_112.map(
    ([x, y]): Point => [((x - 56) * size) / 112 / zoom + size / 2, ((y - 56) * size) / 112 / zoom + size / 2],
  );
  const from = keypoints.slice(0, target.length);
  const meta = await sharp(image).metadata();
  const [W, H] = [meta.width ?? 0, meta.height ?? 0];
  const side = Math.max(box[2], box[3]) * 1.5 * Math.max(1, zoom);
  const cx = box[0] + box[2] / 2;
  const cy = box[1] + box[3] / 2;
  const left = Math.max(0, Math.floor(cx - side));
  const top = Math.max(0, Math.floor(cy - side));
  const width = Math.min(W, Math.ceil(cx + side)) - left;
  const height = Math.min(H, Math.ceil(cy + side)) - top;
  const whole = fitSimilarity(from, target);
  const scale = Math.min(1, Math.hypot(whole.a, whole.b));
  const rw = Math.max(1, Math.round(width * scale));
  const rh = Math.max(1, Math.round(height * scale));
  const { data } = await sharp(image)
    .removeAlpha()
    .extract({ left, top, width, height })
    .resize(rw, rh, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const local = from.map(([x, y]): Point => [((x - left) * rw) / width, ((y - top) * rh) / height]);
  return warpRgb(data, rw, rh, fitSimilarity(local, target), size, size);
}
