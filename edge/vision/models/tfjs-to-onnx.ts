import { buildOnnxModel, type OnnxNode, type OnnxTensor, type OnnxValue } from './onnx-builder.ts';

/** A TensorFlow.js graph model: model.json (graph + weights manifest) and its weight bytes. */
export interface TfjsGraphModel {
  modelTopology: { node: TfNode[] };
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
  signature?: { inputs?: Record<string, TfSignature>; outputs?: Record<string, TfSignature> };
}

interface TfSignature {
  name: string;
  tensorShape?: { dim?: Array<{ size: string }> };
}

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

interface TfAttr {
  s?: string;
  i?: string;
  f?: number;
  b?: boolean;
  list?: { i?: string[]; f?: number[]; s?: string[] };
  shape?: { dim?: Array<{ size: string }> };
  type?: string;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number; original_dtype?: string };
}

/** A constant known at conversion time. */
interface Value {
  dtype: 'float32' | 'int';
  shape: number[];
  data: Float32Array | number[];
}

export class ConversionError extends Error {}

/** Raised whenever a change here alters the ONNX written for a model converted before: caches keyed by it convert again. */
export const CONVERTER_REVISION = 2;

/** The ops this converter knows; anything else stops the conversion with its name. */
export const SUPPORTED_OPS = [
  'Const',
  'Placeholder',
  'Identity',
  'Conv2D',
  '_FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2dNative',
  'Pad',
  'PadV2',
  'Transpose',
  'LeakyRelu',
  'Relu',
  'Relu6',
  'ResizeBilinear',
  'ConcatV2',
  'SplitV',
  'SparseToDense',
  'Sigmoid',
  'Reshape',
  'Add',
  'AddV2',
  'Sub',
  'Mul',
  'Abs',
  'Maximum',
  'Minimum',
  'Square',
  'Rsqrt',
  'Sum',
  'Mean',
  'Squeeze',
  'MaxPool',
  'MatMul',
];

/** Plain element-wise ops: same name or a direct ONNX twin. */
const ELEMENTWISE: Record<string, string> = {
  Sub: 'Sub',
  Mul: 'Mul',
  Abs: 'Abs',
  Relu: 'Relu',
  Sigmoid: 'Sigmoid',
  Maximum: 'Max',
  Minimum: 'Min',
};

function float16(h: number): number {
  const s = (h & 0x8000) >> 15;
  const e = (h & 0x7c00) >> 10;
  const f = h & 0x03ff;
  const v = e === 0 ? (f / 1024) * 2 ** -14 : e === 31 ? (f ? NaN : Infinity) : (1 + f / 1024) * 2 ** (e - 15);
  return s ? -v : v;
}

/** Weights in manifest order, dequantised to float32 (or ints). */
function readWeights(m: TfjsGraphModel, bytes: Buffer): Map<string, Value> {
  const out = new Map<string, Value>();
  let off = 0;
  for (const w of m.weightsManifest.flatMap((g) => g.weights)) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const q = w.quantization;
    if (q) {
      const size = q.dtype === 'uint8' ? 1 : 2;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const raw = size === 1 ? bytes[off + i] : bytes.readUInt16LE(off + i * 2);
        data[i] = q.dtype === 'float16' ? float16(raw) : (q.min ?? 0) + raw * (q.scale ?? 1);
      }
      off += n * size;
      out.set(
        w.name,
        w.dtype === 'int32'
          ? { dtype: 'int', shape: w.shape, data: Array.from(data, Math.round) }
          : { dtype: 'float32', shape: w.shape, data },
      );
    } else if (w.dtype === 'float32') {
      out.set(w.name, {
        dtype: 'float32',
        shape: w.shape,
        data: new Float32Array(bytes.buffer.slice(bytes.byteOffset + off, bytes.byteOffset + off + n * 4)),
      });
      off += n * 4;
    } else if (w.dtype === 'int32') {
      const data: number[] = [];
      for (let i = 0; i < n; i++) data.push(bytes.readInt32LE(off + i * 4));
      out.set(w.name, { dtype: 'int', shape: w.shape, data });
      off += n * 4;
    } else {
      throw new ConversionError(`weight ${w.name}: dtype ${w.dtype} is not supported`);
    }
  }
  return out;
}

const strAttr = (a: TfAttr | undefined) => (a?.s ? Buffer.from(a.s, 'base64').toString('utf8') : undefined);
const ints = (a: TfAttr | undefined) => (a?.list?.i ?? []).map(Number);
/** The nodes an output depends on. */
function neededBy(model: TfjsGraphModel, outputs: string[]): Set<string> {
  const byName = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const need = new Set<string>();
  const stack = outputs.map((o) => o.split(':')[0]);
  while (stack.length) {
    const n = stack.pop()!;
    if (need.has(n)) continue;
    need.add(n);
    const node = byName.get(n);
    if (!node) throw new ConversionError(`output ${n} is not a node of the model`);
    for (const i of node.input ?? []) stack.push(i.replace(/^\^/, '').split(':')[0]);
  }
  return need;
}

/** tfjs names a node's second output "name:1"; ONNX needs plain names, so output 0 keeps the node's name. */
const ref = (input: string) => (input.endsWith(':0') ? input.slice(0, -2) : input);

/**
 * Converts a TensorFlow.js graph model to ONNX for the ops above. TF works in NHWC, ONNX
 * convolutions in NCHW, so each Conv2D, MaxPool and ResizeBilinear is wrapped in transposes;
 * onnxruntime removes most of them when it optimises the graph. Constant sub-graphs that only
 * compute shapes (SparseToDense, integer Add) are folded here.
 */
export function convertTfjsToOnnx(
  model: TfjsGraphModel,
  weightBytes: Buffer,
  name = 'converted',
  only?: string[],
): Buffer {
  const consts = readWeights(model, weightBytes);
  // With `only`, just the nodes those outputs need (e.g. a face model's embedding, not its age head).
  const wanted = only && neededBy(model, only);
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  const inputs: OnnxValue[] = [];
  let seq = 0;
  const emittedConsts = new Set<string>();
  const tensorOf = (n: string, v: Value): OnnxTensor =>
    v.dtype === 'float32'
      ? { name: n, type: 'float32', dims: v.shape, data: v.data as Float32Array }
      : { name: n, type: 'int64', dims: v.shape, data: BigInt64Array.from((v.data as number[]).map(BigInt)) };
  const constInput = (n: string): string => {
    const v = consts.get(n)!;
    if (!emittedConsts.has(n)) {
      inits.push(tensorOf(n, v));
      emittedConsts.add(n);
    }
    return n;
  };
  /** A node input: a constant becomes an initializer, anything else is a tensor by name. */
  const input = (i: string) => (consts.has(ref(i)) ? constInput(ref(i)) : ref(i));
  const intConst = (i: string, what: string): number[] => {
    const v = consts.get(ref(i));
    if (!v) throw new ConversionError(`${what}: "${i}" must be a constant`);
    return Array.from(v.data as ArrayLike<number>, Number);
  };
  const newInt64 = (values: number[], hint: string): string => {
    const n = `${hint}__${seq++}`;
    inits.push({ name: n, type: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });
    return n;
  };
  const nchw = (x: string, hint: string): string => {
    const y = `${hint}__nchw${seq++}`;
    nodes.push({ op: 'Transpose', inputs: [x], outputs: [y], attributes: { perm: [0, 3, 1, 2] } });
    return y;
  };
  const toNhwc = (x: string, out: string) =>
    nodes.push({ op: 'Transpose', inputs: [x], outputs: [out], attributes: { perm: [0, 2, 3, 1] } });

  /** VALID, EXPLICIT, or SAME (TF pads the extra pixel at the end: ONNX SAME_UPPER). */
  const padAttrs = (n: TfNode, what: string): Record<string, number[] | string> => {
    const padding = strAttr(n.attr?.padding);
    if (padding === 'SAME') return { auto_pad: 'SAME_UPPER' };
    if (padding === 'VALID') return { pads: [0, 0, 0, 0] };
    if (padding === 'EXPLICIT') {
      const ep = ints(n.attr?.explicit_paddings);
      return { pads: [ep[2], ep[4], ep[3], ep[5]] };
    }
    throw new ConversionError(`${what}: padding ${padding} is not supported`);
  };

  /** Conv2D and depthwise convolutions (with their fused bias and activation) as ONNX Conv in NCHW. */
  const convolution = (n: TfNode, ins: string[]): void => {
    if ((strAttr(n.attr?.data_format) ?? 'NHWC') !== 'NHWC') throw new ConversionError(`${n.op} ${n.name}: only NHWC`);
    const f = consts.get(ref(ins[1]));
    if (!f) throw new ConversionError(`${n.op} ${n.name}: the filter must be a constant`);
    const depthwise = n.op.includes('Depthwise');
    const [kh, kw, ci, co] = f.shape;
    const outC = depthwise ? ci * co : co;
    const w = new Float32Array(f.data.length);
    const src = f.data as Float32Array;
    for (let h = 0; h < kh; h++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < ci; i++) {
          for (let o = 0; o < co; o++) {
            const from = ((h * kw + x) * ci + i) * co + o;
            // Depthwise: output channel i·mult + o sees only input channel i.
            w[depthwise ? ((i * co + o) * kh + h) * kw + x : ((o * ci + i) * kh + h) * kw + x] = src[from];
          }
        }
      }
    }
    const wName = `${n.name}__oihw`;
    inits.push({ name: wName, type: 'float32', dims: depthwise ? [outC, 1, kh, kw] : [co, ci, kh, kw], data: w });
    const fused = (n.attr?.fused_ops?.list?.s ?? []).map((x) => Buffer.from(x, 'base64').toString('utf8'));
    const convInputs = [nchw(ref(ins[0]), n.name), wName];
    if (fused[0] === 'BiasAdd') convInputs.push(input(ins[2]));
    else if (fused.length)
      throw new ConversionError(`${n.op} ${n.name}: fused ops ${fused.join('+')} are not supported`);
    const s = ints(n.attr?.strides);
    const d = ints(n.attr?.dilations);
    const y = `${n.name}__conv`;
    nodes.push({
      op: 'Conv',
      inputs: convInputs,
      outputs: [y],
      attributes: {
        strides: [s[1], s[2]],
        dilations: [d[1] ?? 1, d[2] ?? 1],
        kernel_shape: [kh, kw],
        group: depthwise ? ci : 1,
        ...padAttrs(n, `${n.op} ${n.name}`),
      },
    });
    const act = fused[1];
    let z = y;
    if (act === 'Relu' || act === 'Relu6' || act === 'LeakyRelu' || act === 'Elu') {
      z = `${n.name}__act`;
      if (act === 'Relu6')
        nodes.push({
          op: 'Clip',
          inputs: [y, newFloat(0, `${n.name}_min`), newFloat(6, `${n.name}_max`)],
          outputs: [z],
        });
      else
        nodes.push({
          op: act,
          inputs: [y],
          outputs: [z],
          ...(act === 'LeakyRelu' ? { attributes: { alpha: { float: n.attr?.leakyrelu_alpha?.f ?? 0.2 } } } : {}),
        });
    } else if (act === 'Prelu') {
      const alpha = consts.get(ref(ins[3]));
      if (!alpha) throw new ConversionError(`${n.op} ${n.name}: Prelu alpha must be a constant`);
      const slope = `${n.name}__slope`;
      inits.push({
        name: slope,
        type: 'float32',
        dims: [alpha.data.length, 1, 1],
        data: Float32Array.from(alpha.data as ArrayLike<number>),
      });
      z = `${n.name}__act`;
      nodes.push({ op: 'PRelu', inputs: [y, slope], outputs: [z] });
    } else if (act) throw new ConversionError(`${n.op} ${n.name}: fused activation ${act} is not supported`);
    toNhwc(z, n.name);
  };
  const newFloat = (v: number, hint: string): string => {
    const name = `${hint}__${seq++}`;
    inits.push({ name, type: 'float32', dims: [], data: new Float32Array([v]) });
    return name;
  };

  for (const n of model.modelTopology.node) {
    if (wanted && !wanted.has(n.name)) continue;
    const ins = (n.input ?? []).filter((i) => !i.startsWith('^'));
    switch (n.op) {
      case 'Const':
        if (!consts.has(n.name)) throw new ConversionError(`Const ${n.name} has no weights in the manifest`);
        break;
      case 'Placeholder': {
        const dims = (n.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size));
        inputs.push({ name: n.name, type: 'float32', shape: dims.map((d) => (d < 0 ? 'batch' : d)) });
        break;
      }
      case 'SparseToDense': {
        // sparse_indices, output_shape, sparse_values, default_value — all constants here.
        const [idx, shape, vals, dflt] = ins.map((i) => intConst(i, `SparseToDense ${n.name}`));
        const out = new Array(shape.reduce((a, b) => a * b, 1)).fill(dflt[0] ?? 0);
        idx.forEach((k, j) => (out[k] = vals.length === 1 ? vals[0] : vals[j]));
        consts.set(n.name, { dtype: 'int', shape, data: out });
        break;
      }
      case 'Identity':
        if (consts.has(ref(ins[0]))) consts.set(n.name, consts.get(ref(ins[0]))!);
        else nodes.push({ op: 'Identity', inputs: [ref(ins[0])], outputs: [n.name] });
        break;
      case 'Add':
      case 'AddV2': {
        const [a, b] = ins.map((i) => consts.get(ref(i)));
        if (a && b && a.dtype === 'int' && b.dtype === 'int') {
          const A = a.data as number[];
          const B = b.data as number[];
          const len = Math.max(A.length, B.length);
          consts.set(n.name, {
            dtype: 'int',
            shape: A.length >= B.length ? a.shape : b.shape,
            data: Array.from({ length: len }, (_, k) => A[A.length === 1 ? 0 : k] + B[B.length === 1 ? 0 : k]),
          });
        } else nodes.push({ op: 'Add', inputs: ins.map(input), outputs: [n.name] });
        break;
      }
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        convolution(n, ins);
        break;
      case 'MaxPool': {
        const k = ints(n.attr?.ksize);
        const s = ints(n.attr?.strides);
        const y = `${n.name}__pool`;
        nodes.push({
          op: 'MaxPool',
          inputs: [nchw(ref(ins[0]), n.name)],
          outputs: [y],
          attributes: { kernel_shape: [k[1], k[2]], strides: [s[1], s[2]], ...padAttrs(n, `MaxPool ${n.name}`) },
        });
        toNhwc(y, n.name);
        break;
      }
      case 'ResizeBilinear': {
        const size = intConst(ins[1], `ResizeBilinear ${n.name}`);
        const align = n.attr?.align_corners?.b === true;
        const half = n.attr?.half_pixel_centers?.b === true;
        const y = `${n.name}__resize`;
        nodes.push({
          op: 'Resize',
          inputs: [nchw(ref(ins[0]), n.name), '', '', newInt64(size, `${n.name}_sizes`)],
          outputs: [y],
          attributes: {
            mode: 'linear',
            axes: [2, 3],
            coordinate_transformation_mode: align ? 'align_corners' : half ? 'half_pixel' : 'asymmetric',
          },
        });
        toNhwc(y, n.name);
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const p = intConst(ins[1], `${n.op} ${n.name}`);
        const begins = p.filter((_, k) => k % 2 === 0);
        const ends = p.filter((_, k) => k % 2 === 1);
        const extra = n.op === 'PadV2' ? [input(ins[2])] : [];
        nodes.push({
          op: 'Pad',
          inputs: [ref(ins[0]), newInt64([...begins, ...ends], `${n.name}_pads`), ...extra],
          outputs: [n.name],
          attributes: { mode: 'constant' },
        });
        break;
      }
      case 'Transpose':
        nodes.push({
          op: 'Transpose',
          inputs: [ref(ins[0])],
          outputs: [n.name],
          attributes: { perm: intConst(ins[1], `Transpose ${n.name}`) },
        });
        break;
      case 'LeakyRelu':
        nodes.push({
          op: 'LeakyRelu',
          inputs: [ref(ins[0])],
          outputs: [n.name],
          attributes: { alpha: { float: n.attr?.alpha?.f ?? 0.2 } },
        });
        break;
      case 'Sub':
      case 'Mul':
      case 'Abs':
      case 'Relu':
      case 'Sigmoid':
      case 'Maximum':
      case 'Minimum':
        nodes.push({ op: ELEMENTWISE[n.op], inputs: ins.map(input), outputs: [n.name] });
        break;
      case 'Relu6':
        nodes.push({
          op: 'Clip',
          inputs: [ref(ins[0]), newFloat(0, `${n.name}_min`), newFloat(6, `${n.name}_max`)],
          outputs: [n.name],
        });
        break;
      case 'Square':
        nodes.push({ op: 'Mul', inputs: [ref(ins[0]), ref(ins[0])], outputs: [n.name] });
        break;
      case 'Rsqrt': {
        const root = `${n.name}__sqrt`;
        nodes.push({ op: 'Sqrt', inputs: [ref(ins[0])], outputs: [root] });
        nodes.push({ op: 'Reciprocal', inputs: [root], outputs: [n.name] });
        break;
      }
      case 'Sum':
      case 'Mean':
        nodes.push({
          op: n.op === 'Sum' ? 'ReduceSum' : 'ReduceMean',
          inputs: [ref(ins[0]), newInt64(intConst(ins[1], `${n.op} ${n.name}`), `${n.name}_axes`)],
          outputs: [n.name],
          attributes: { keepdims: n.attr?.keep_dims?.b ? 1 : 0 },
        });
        break;
      case 'Squeeze':
        nodes.push({
          op: 'Squeeze',
          inputs: [ref(ins[0]), newInt64(ints(n.attr?.squeeze_dims), `${n.name}_axes`)],
          outputs: [n.name],
        });
        break;
      case 'ConcatV2': {
        const axis = intConst(ins[ins.length - 1], `ConcatV2 ${n.name}`)[0];
        nodes.push({ op: 'Concat', inputs: ins.slice(0, -1).map(input), outputs: [n.name], attributes: { axis } });
        break;
      }
      case 'SplitV': {
        const sizes = intConst(ins[1], `SplitV ${n.name}`);
        const axis = intConst(ins[2], `SplitV ${n.name}`)[0];
        nodes.push({
          op: 'Split',
          inputs: [ref(ins[0]), newInt64(sizes, `${n.name}_split`)],
          outputs: sizes.map((_, k) => (k === 0 ? n.name : `${n.name}:${k}`)),
          attributes: { axis },
        });
        break;
      }
      case 'MatMul':
        if (n.attr?.transpose_a?.b || n.attr?.transpose_b?.b)
          throw new ConversionError(`MatMul ${n.name} with a transposed operand is not supported`);
        nodes.push({ op: 'MatMul', inputs: ins.map(input), outputs: [n.name] });
        break;
      case 'Reshape':
        nodes.push({
          op: 'Reshape',
          inputs: [ref(ins[0]), newInt64(intConst(ins[1], `Reshape ${n.name}`), `${n.name}_shape`)],
          outputs: [n.name],
        });
        break;
      default:
        throw new ConversionError(
          `op ${n.op} (node ${n.name}) is not supported by this converter (supported: ${SUPPORTED_OPS.join(', ')})`,
        );
    }
  }
  let outputs: OnnxValue[] = (
    only ? only.map((o) => ({ name: o })) : Object.values(model.signature?.outputs ?? {})
  ).map((o: { name: string; tensorShape?: { dim?: Array<{ size: string }> } }) => ({
    name: ref(o.name),
    type: 'float32',
    shape: o.tensorShape?.dim?.map((d) => (Number(d.size) < 0 ? 'batch' : Number(d.size))),
  }));
  if (!outputs.length) {
    // No signature: the outputs are the nodes nobody reads.
    const read = new Set(
      model.modelTopology.node.flatMap((n) => (n.input ?? []).map((i) => ref(i.replace(/^\^/, '')).split(':')[0])),
    );
    outputs = model.modelTopology.node
      .filter((n) => n.op !== 'Const' && !read.has(n.name))
      .map((n) => ({ name: n.name, type: 'float32' }));
  }
  if (!outputs.length) throw new ConversionError('the model has no outputs');
  return buildOnnxModel({
    name,
    inputs,
    outputs,
    nodes,
    initializers: inits,
    opset: 18,
    producer: 'roadwarden tfjs-to-onnx',
  });
}
