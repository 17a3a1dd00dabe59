import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelEntry } from './manifest.ts';
import { cachedTfjsAsOnnx } from './model-cache.ts';

/** What evidence records of each model that looked at a frame. */
export interface ModelInfo {
  name: string;
  version: string;
  /** Of the ONNX that runs (converted or as shipped). */
  sha256: string;
}

export interface ModelSession {
  session: ort.InferenceSession;
  info: ModelInfo;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Without onnxruntime's CPU arena a run's buffers go back when it ends; with it, each session
 * keeps its largest run's (a whole-frame plate search's) for good. Measured on the 39 scenes
 * (`bench scenes`): RSS 739 → 587 MB, frame times within the noise.
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, enableCpuMemArena: false };

/** The version of the npm package a file belongs to: the nearest package.json above it with that name (exports may hide it from require). */
function packageVersion(file: string, name: string): string {
  for (let d = dirname(file); d !== dirname(d); d = dirname(d)) {
    const p = join(d, 'package.json');
    if (!existsSync(p)) continue;
    const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === name) return `${name}@${pkg.version}`;
  }
  return `${name}@unknown`;
}

/**
 * A model file run as it is: a manifest entry's (its name and version), or a built-in one from an
 * npm package (named here, versioned by the package).
 */
export async function loadOnnxFile(
  file: string,
  o: { name: string; version?: string; npmPackage?: string },
): Promise<ModelSession> {
  const bytes = readFileSync(file);
  const version = o.version ?? (o.npmPackage ? packageVersion(file, o.npmPackage) : 'unversioned');
  return {
    session: await ort.InferenceSession.create(bytes, SESSION_OPTIONS),
    info: { name: o.name, version, sha256: sha(bytes) },
  };
}

/**
 * A manifest entry's model on onnxruntime-node: an ONNX file, or a TensorFlow.js graph (model.json
 * beside its weights) converted to ONNX and cached. The source is checked against the entry's
 * SHA-256 first, so a corrupted or swapped file is refused rather than run.
 */
export async function loadModelSession(model: ModelEntry): Promise<ModelSession> {
  const file = readFileSync(model.file);
  const got = sha(file);
  if (model.sha256 && got !== model.sha256)
    throw new Error(
      `model ${model.name}: ${model.file} has SHA-256 ${got}, expected ${model.sha256} (corrupted or replaced?)`,
    );
  const bytes = model.file.endsWith('.json') ? cachedTfjsAsOnnx(model.file, model.name, model.outputs).onnx : file;
  return {
    session: await ort.InferenceSession.create(bytes, SESSION_OPTIONS),
    info: { name: model.name, version: model.version ?? 'unversioned', sha256: sha(bytes) },
  };
}

/** RGB bytes as the model's input tensor: channel order, layout, and (x/255 − mean)/std. */
export function toTensor(rgb: Uint8Array, w: number, h: number, input: ModelEntry['input']): ort.Tensor {
  const mean = input.mean ?? [0, 0, 0];
  const std = input.std ?? [1, 1, 1];
  const bgr = input.channels === 'BGR';
  const nhwc = input.layout === 'NHWC';
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (rgb[i * 3 + (bgr ? 2 - c : c)] / 255 - mean[c]) / std[c];
      out[nhwc ? i * 3 + c : c * plane + i] = v;
    }
  }
  return new ort.Tensor('float32', out, nhwc ? [1, h, w, 3] : [1, 3, h, w]);
}
