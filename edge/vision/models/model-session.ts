import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { ModelEntry } from './manifest.ts';
import { cachedTfjsAsOnnx } from './model-cache.ts';

export interface ModelSession {
  session: ort.InferenceSession;
  /** Of the ONNX that runs (converted or as shipped), for the evidence record. */
  sha256: string;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A manifest entry's model on onnxruntime-node: an ONNX file, or a TensorFlow.js graph (model.json
 * beside its weights) converted to ONNX and cached. The source is checked against the entry's
 * SHA-256 first, so a corrupted or swapped file is refused rather than run.
 */
export async function loadModelSession(model: ModelEntry): Promise<ModelSession> {
  const file = readFileSync(model.file);
  const got = sha(file);
  if (model.sha256 && got !== model.sha256) throw new Error(`model ${model.name}: ${model.file} has SHA-256 ${got}, expected ${model.sha256} (corrupted or replaced?)`);
  const bytes = model.file.endsWith('.json') ? cachedTfjsAsOnnx(model.file, model.name, model.outputs).onnx : file;
  return { session: await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 }), sha256: sha(bytes) };
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
