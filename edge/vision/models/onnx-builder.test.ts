import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildOnnxModel } from './onnx-builder.ts';

describe('ONNX model writer (checked by onnxruntime-node loading and running what it writes)', () => {
  it('writes a graph with an initializer, attributes and a dynamic dimension that onnxruntime runs correctly', async () => {
    const model = buildOnnxModel({
      name: 'add-transpose',
      inputs: [{ name: 'x', type: 'float32', shape: ['batch', 2, 3] }],
      outputs: [{ name: 'y', type: 'float32', shape: ['batch', 3, 2] }],
      initializers: [{ name: 'b', type: 'float32', dims: [2, 3], data: new Float32Array([10, 20, 30, 40, 50, 60]) }],
      nodes: [
        { op: 'Add', inputs: ['x', 'b'], outputs: ['sum'] },
        { op: 'LeakyRelu', inputs: ['sum'], outputs: ['act'], attributes: { alpha: { float: 0.5 } } },
        { op: 'Transpose', inputs: ['act'], outputs: ['y'], attributes: { perm: [0, 2, 1] } },
      ],
    });
    const session = await ort.InferenceSession.create(model);
    const x = new Float32Array([1, 2, 3, -100, -200, -300]);
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [1, 2, 3]) });
    expect(y.dims).toEqual([1, 3, 2]);
    // sum = [11, 22, 33, -60, -150, -240]; LeakyRelu(0.5) halves the negatives; then rows become columns.
    expect([...(y.data as Float32Array)]).toEqual([11, -30, 22, -75, 33, -120]);
  });

  it('refuses nothing silently: a graph naming an unknown input fails to load with onnxruntime’s reason', async () => {
    const bad = buildOnnxModel({
      name: 'bad',
      inputs: [{ name: 'x', type: 'float32', shape: [1] }],
      outputs: [{ name: 'y', type: 'float32', shape: [1] }],
      nodes: [{ op: 'Relu', inputs: ['nope'], outputs: ['y'] }],
    });
    await expect(ort.InferenceSession.create(bad)).rejects.toThrow(/nope/);
  });
});
