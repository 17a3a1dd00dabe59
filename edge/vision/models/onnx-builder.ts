/**
 * Writes ONNX models (protobuf) from a small description: enough for the converters in this
 * folder and for tests that need a real model file. Field numbers are those of onnx.proto3.
 */

export type OnnxDataType = 'float32' | 'int32' | 'int64';
const DATA_TYPE: Record<OnnxDataType, number> = { float32: 1, int32: 6, int64: 7 };

export interface OnnxTensor {
  name: string;
  type: OnnxDataType;
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

export type OnnxAttribute =
  | number
  | number[]
  | string
  | { float: number }
  | { floats: number[] }
  | { tensor: OnnxTensor };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, OnnxAttribute>;
}

export interface OnnxValue {
  name: string;
  type: OnnxDataType;
  /** A number, or a name for a dimension known only at run time (e.g. "batch"); undefined when not known at all. */
  shape?: Array<number | string>;
}

export interface OnnxGraph {
  name: string;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  nodes: OnnxNode[];
  initializers?: OnnxTensor[];
  opset?: number;
  producer?: string;
}

class Writer {
  private readonly parts: Buffer[] = [];

  varint(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.rawVarint(BigInt.asUintN(64, BigInt(v)));
    return this;
  }

  bytes(field: number, b: Uint8Array | string): this {
    const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.key(field, 2);
    this.rawVarint(BigInt(buf.length));
    this.parts.push(buf);
    return this;
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.parts.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }

  private key(field: number, wire: number): void {
    this.rawVarint(BigInt((field << 3) | wire));
  }

  private rawVarint(v: bigint): void {
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      out.push(byte);
    } while (v > 0n);
    this.parts.push(Buffer.from(out));
  }
}

function tensor(t: OnnxTensor): Writer {
  const w = new Writer();
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, DATA_TYPE[t.type]);
  w.bytes(8, t.name);
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function attribute(name: string, a: OnnxAttribute): Writer {
  const w = new Writer().bytes(1, name);
  if (typeof a === 'number') return w.varint(3, a).varint(20, 2);
  if (typeof a === 'string') return w.bytes(4, a).varint(20, 3);
  if (Array.isArray(a)) {
    for (const i of a) w.varint(8, i);
    return w.varint(20, 7);
  }
  if ('float' in a) return w.float(2, a.float).varint(20, 1);
  if ('floats' in a) {
    for (const f of a.floats) w.float(7, f);
    return w.varint(20, 6);
  }
  return w.message(5, tensor(a.tensor)).varint(20, 4);
}

function valueInfo(v: OnnxValue): Writer {
  const tensorType = new Writer().varint(1, DATA_TYPE[v.type]);
  if (v.shape) {
    const shape = new Writer();
    for (const d of v.shape)
      shape.message(1, typeof d === 'number' ? new Writer().varint(1, d) : new Writer().bytes(2, d));
    tensorType.message(2, shape);
  }
  return new Writer().bytes(1, v.name).message(2, new Writer().message(1, tensorType));
}

/** The model file's bytes (IR version 8, default opset 13 unless the graph says otherwise). */
export function buildOnnxModel(g: OnnxGraph): Buffer {
  const graph = new Writer();
  g.nodes.forEach((n, i) => {
    const node = new Writer();
    for (const x of n.inputs) node.bytes(1, x);
    for (const y of n.outputs) node.bytes(2, y);
    node.bytes(3, n.name ?? `${n.op}_${i}`).bytes(4, n.op);
    for (const [k, v] of Object.entries(n.attributes ?? {})) node.message(5, attribute(k, v));
    graph.message(1, node);
  });
  graph.bytes(2, g.name);
  for (const t of g.initializers ?? []) graph.message(5, tensor(t));
  for (const v of g.inputs) graph.message(11, valueInfo(v));
  for (const v of g.outputs) graph.message(12, valueInfo(v));
  return new Writer()
    .varint(1, 8)
    .bytes(2, g.producer ?? 'roadwarden')
    .message(7, graph)
    .message(8, new Writer().bytes(1, '').varint(2, g.opset ?? 13))
    .finish();
}
