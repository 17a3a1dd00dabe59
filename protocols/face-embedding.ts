/**
 * A face embedding as it travels in evidence: the model that made it (embeddings of different
 * models cannot be compared) and the float32 vector, little-endian, in base64.
 */
export interface FaceEmbedding {
  model: string;
  dims: number;
  base64: string;
}

export function encodeEmbedding(model: string, v: Float32Array): FaceEmbedding {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeFloatLE(x, i * 4));
  return { model, dims: v.length, base64: b.toString('base64') };
}

export function decodeEmbedding(e: FaceEmbedding): Float32Array {
  const b = Buffer.from(e.base64, 'base64');
  if (b.length !== e.dims * 4) throw new Error(`face embedding: ${b.length} bytes for ${e.dims} numbers`);
  return Float32Array.from({ length: e.dims }, (_, i) => b.readFloatLE(i * 4));
}

/**
 * How alike two faces are, 0 (unalike) to 1 (same image): the Euclidean distance mapped as the
 * descriptor's authors do (Human's similarity: √(25·Σd²), 1 − root/100, scaled from 0.2–0.8).
 * Uncentred cosines of these descriptors bunch near 1, so the distance is what separates faces.
 */
export function faceSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length)
    throw new Error(`face embeddings of different lengths (${a.length}, ${b.length}) cannot be compared`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  const root = Math.sqrt(25 * sum);
  return Math.max(0, Math.min(1, (1 - root / 100 - 0.2) / 0.6));
}

/**
 * At or above this, two faces are taken as the same person. On the demo photos the same face
 * (mirrored, at 40 % size, darker and turned 6°) scored at least 0.80 and different people at
 * most 0.58 (see docs/vision.md).
 */
export const FACE_MATCH_THRESHOLD = 0.7;
