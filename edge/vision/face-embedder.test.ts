import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { FACE_MATCH_THRESHOLD, decodeEmbedding, encodeEmbedding, faceSimilarity } from '../../protocols/index.ts';
import { FaceDetector, type Face } from './face-detector.ts';
import { FaceEmbedder } from './face-embedder.ts';
import { defaultFaceEmbeddingModel } from './models/default-models.ts';

// Real photos shipped in the dev dependency @vladmandic/face-api (demo/sample*.jpg, MIT).
const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');

interface Seen {
  photo: number;
  face: number;
  embedding: Float32Array;
}

/** The face in `faces` whose centre is nearest (x, y) as fractions of the image, within 5 %. */
function nearest(faces: Face[], W: number, H: number, x: number, y: number): number {
  let best = -1;
  let bestD = 0.05;
  faces.forEach((f, i) => {
    const d = Math.hypot((f.box[0] + f.box[2] / 2) / W - x, (f.box[1] + f.box[3] / 2) / H - y);
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

describe('FaceEmbedder: faceres descriptors of aligned faces, on real photos', { timeout: 120_000 }, () => {
  let detector: FaceDetector;
  let embedder: FaceEmbedder;
  const originals: Seen[] = [];
  const changed: Seen[] = [];

  beforeAll(async () => {
    [detector, embedder] = await Promise.all([FaceDetector.load(), FaceEmbedder.load()]);
    for (const photo of [1, 2, 3, 4, 5, 6]) {
      const image = readFileSync(join(demo, `sample${photo}.jpg`));
      const { width: W = 0, height: H = 0 } = await sharp(image).metadata();
      const faces = await detector.detect(image);
      for (const [face, f] of faces.entries())
        originals.push({ photo, face, embedding: await embedder.embed(image, f) });
      // The same people as another camera might see them: mirrored, 40 % size and JPEG 60, darker and turned.
      const variants = [
        { image: await sharp(image).flop().jpeg().toBuffer(), mirrored: true },
        {
          image: await sharp(image)
            .resize(Math.round(W * 0.4))
            .jpeg({ quality: 60 })
            .toBuffer(),
          mirrored: false,
        },
        { image: await sharp(image).modulate({ brightness: 0.7 }).jpeg().toBuffer(), mirrored: false },
      ];
      for (const v of variants) {
        const { width: w = 0, height: h = 0 } = await sharp(v.image).metadata();
        for (const f of await detector.detect(v.image)) {
          const cx = (f.box[0] + f.box[2] / 2) / w;
          const face = nearest(faces, W, H, v.mirrored ? 1 - cx : cx, (f.box[1] + f.box[3] / 2) / h);
          if (face >= 0) changed.push({ photo, face, embedding: await embedder.embed(v.image, f) });
        }
      }
    }
  }, 90_000); // 24 photos through two models: slow on a loaded 2-core machine

  it('describes each face with 1024 numbers', () => {
    expect(originals.length).toBeGreaterThanOrEqual(15);
    for (const s of originals) {
      expect(s.embedding).toHaveLength(1024);
      expect(s.embedding.every(Number.isFinite)).toBe(true);
    }
  });

  it('matches a face with itself seen differently, and never with another person', () => {
    expect(changed.length).toBeGreaterThanOrEqual(30);
    let sameMin = 1;
    for (const c of changed) {
      const o = originals.find((s) => s.photo === c.photo && s.face === c.face)!;
      sameMin = Math.min(sameMin, faceSimilarity(o.embedding, c.embedding));
    }
    let otherMax = 0;
    for (const [i, a] of originals.entries())
      for (const b of originals.slice(i + 1)) otherMax = Math.max(otherMax, faceSimilarity(a.embedding, b.embedding));
    expect(sameMin, 'the same face, changed').toBeGreaterThanOrEqual(FACE_MATCH_THRESHOLD);
    expect(otherMax, 'two different faces').toBeLessThan(FACE_MATCH_THRESHOLD);
  });

  it('travels in evidence as base64 float32 and compares the same after', () => {
    const [a, b] = originals;
    const back = decodeEmbedding(encodeEmbedding('faceres', a.embedding));
    expect(Array.from(back)).toEqual(Array.from(a.embedding));
    expect(faceSimilarity(back, a.embedding)).toBe(1);
    expect(faceSimilarity(decodeEmbedding(encodeEmbedding('faceres', b.embedding)), a.embedding)).toBeCloseTo(
      faceSimilarity(b.embedding, a.embedding),
      12,
    );
    expect(() => decodeEmbedding({ model: 'faceres', dims: 1024, base64: 'AAAAAA==' })).toThrow(/4 bytes for 1024/);
  });

  it('takes a descriptor from the manifest, checked like any model, and refuses one that is not an embedding model', async () => {
    const entry = defaultFaceEmbeddingModel();
    await expect(FaceEmbedder.load({ ...entry, sha256: '0'.repeat(64) })).rejects.toThrow(
      /faceres\.json has SHA-256 5b83d49c.*expected 0000/,
    );
    await expect(FaceEmbedder.load({ ...entry, decoder: 'nanodet' })).rejects.toThrow(/does not make face embeddings/);
    await expect(FaceEmbedder.load({ ...entry, input: { ...entry.input, width: 112 } })).rejects.toThrow(
      /square input, not 112×224/,
    );
  });
});
