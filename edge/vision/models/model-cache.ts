import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONVERTER_REVISION, convertTfjsToOnnx, type TfjsGraphModel } from './tfjs-to-onnx.ts';

/** Where converted models are kept: $ROADWARDEN_MODEL_CACHE, else node_modules/.cache/roadwarden of this install. */
export function modelCacheDir(): string {
  return (
    process.env.ROADWARDEN_MODEL_CACHE ??
    join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules', '.cache', 'roadwarden')
  );
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A TensorFlow.js graph as ONNX, converted once and kept on disk. The cached file is named after
 * the source's SHA-256 and the converter's revision (a new package version, or a converter that
 * writes differently, converts again) and is checked against the SHA-256
 * recorded beside it, so a damaged cache is converted again rather than loaded.
 */
export function cachedTfjsAsOnnx(
  modelJson: string,
  name: string,
  only?: string[],
): { onnx: Buffer; cached: boolean; path: string } {
  const jsonBytes = readFileSync(modelJson);
  const json = JSON.parse(jsonBytes.toString('utf8')) as TfjsGraphModel;
  const weights = Buffer.concat(
    json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(dirname(modelJson), p))),
  );
  const key = sha(
    Buffer.concat([jsonBytes, weights, Buffer.from(JSON.stringify([only ?? [], CONVERTER_REVISION]))]),
  ).slice(0, 16);
  const dir = modelCacheDir();
  const path = join(dir, `${name}-${key}.onnx`);
  if (existsSync(path) && existsSync(`${path}.sha256`)) {
    const onnx = readFileSync(path);
    if (sha(onnx) === readFileSync(`${path}.sha256`, 'utf8').trim()) return { onnx, cached: true, path };
  }
  const onnx = convertTfjsToOnnx(json, weights, name, only);
  try {
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed: a box losing power mid-write never leaves half a model behind.
    writeFileSync(`${path}.tmp`, onnx);
    renameSync(`${path}.tmp`, path);
    writeFileSync(`${path}.sha256`, `${sha(onnx)}\n`);
  } catch {
    // A read-only install still works: the model is converted at every load then.
  }
  return { onnx, cached: false, path };
}
