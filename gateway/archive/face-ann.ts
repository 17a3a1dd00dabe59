import hnswlib from 'hnswlib-node';

/** How many dimensions descriptors are projected to, and the graph's shape (hnswlib's M and ef). */
export interface FaceAnnOptions {
  dims?: number;
  m?: number;
  efConstruction?: number;
  efSearch?: number;
}

const DEFAULTS: Required<FaceAnnOptions> = { dims: 128, m: 16, efConstruction: 100, efSearch: 128 };
const FIRST_CAPACITY = 1024;

/**
 * Approximate nearest neighbours over the face descriptors of one model: an HNSW graph
 * (hnswlib) over a sparse random projection of each descriptor (Achlioptas: entries ±1 with
 * probability 1/6 each, else 0), which keeps distances to within a few per cent while the graph
 * holds an eighth of the floats and builds several times faster than over 1,024 dimensions. It
 * only proposes candidates: FaceIndex re-ranks them on the stored descriptors, so the projection
 * never decides a match. It lives in memory only; nothing of it is written to disk.
 */
export class FaceAnn {
  private readonly o: Required<FaceAnnOptions>;
  private readonly graph: hnswlib.HierarchicalNSW;
  /** For each output dimension, the input positions added and subtracted. */
  private readonly plus: Uint16Array[] = [];
  private readonly minus: Uint16Array[] = [];
  private readonly labels = new Set<number>();

  constructor(
    readonly inputDims: number,
    options: FaceAnnOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
    let seed = 0x5eed_face;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let j = 0; j < this.o.dims; j++) {
      const plus: number[] = [];
      const minus: number[] = [];
      for (let i = 0; i < inputDims; i++) {
        const r = random();
        if (r < 1 / 6) plus.push(i);
        else if (r < 1 / 3) minus.push(i);
      }
      this.plus.push(Uint16Array.from(plus));
      this.minus.push(Uint16Array.from(minus));
    }
    this.graph = new hnswlib.HierarchicalNSW('l2', this.o.dims);
    this.graph.initIndex({ maxElements: FIRST_CAPACITY, m: this.o.m, efConstruction: this.o.efConstruction });
    this.graph.setEf(this.o.efSearch);
  }

  get size(): number {
    return this.labels.size;
  }

  has(label: number): boolean {
    return this.labels.has(label);
  }

  add(label: number, descriptor: Float32Array): void {
    if (this.labels.has(label)) return;
    if (this.graph.getCurrentCount() >= this.graph.getMaxElements())
      this.graph.resizeIndex(this.graph.getMaxElements() * 2);
    this.graph.addPoint(this.project(descriptor), label);
    this.labels.add(label);
  }

  remove(label: number): void {
    if (!this.labels.delete(label)) return;
    this.graph.markDelete(label);
  }

  /** Labels of up to `k` descriptors nearest to this one, nearest first (by the projection). */
  nearest(descriptor: Float32Array, k: number): number[] {
    const n = Math.min(k, this.labels.size);
    if (!n) return [];
    if (this.graph.getEf() < n) this.graph.setEf(n);
    const found = this.graph.searchKnn(this.project(descriptor), n).neighbors;
    if (this.graph.getEf() !== this.o.efSearch) this.graph.setEf(this.o.efSearch);
    return found;
  }

  private project(v: Float32Array): number[] {
    if (v.length !== this.inputDims)
      throw new Error(`a face descriptor of ${v.length} values where this index takes ${this.inputDims}`);
    const out = new Array<number>(this.o.dims);
    for (let j = 0; j < this.o.dims; j++) {
      let s = 0;
      for (const i of this.plus[j]) s += v[i];
      for (const i of this.minus[j]) s -= v[i];
      out[j] = s;
    }
    return out;
  }
}
