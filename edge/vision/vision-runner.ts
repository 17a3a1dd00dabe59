import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { FrameResult, PipelineOptions } from './pipeline.ts';

/** A frame takes well under a second on a box; past this the worker is ended by force. */
const STOP_GRACE_MS = 10_000;

export interface VisionFrame<M = unknown> {
  jpeg: Buffer;
  /** Whatever the caller needs back with the result (capture time, camera, the frame itself). */
  meta: M;
}

export interface VisionRunnerStats {
  submitted: number;
  processed: number;
  /** Frames replaced by a newer one before the worker got to them. */
  dropped: number;
  errors: number;
}

/**
 * The pipeline in a worker thread, so inference never delays the agent's local warnings. One
 * frame is in the worker and at most one waits; a newer frame replaces the waiting one (dropped,
 * counted), so a camera faster than inference never builds a queue — the freshest frame wins.
 * Emits 'result' (FrameResult, meta), 'dropped' (meta) and 'error' (Error, meta).
 */
export class VisionRunner<M = unknown> extends EventEmitter<{
  result: [FrameResult, M];
  dropped: [M];
  error: [Error, M];
}> {
  readonly stats: VisionRunnerStats = { submitted: 0, processed: 0, dropped: 0, errors: 0 };
  private worker: Worker | undefined;
  private busy: { id: number; meta: M } | undefined;
  private waiting: VisionFrame<M> | undefined;
  private nextId = 1;

  constructor(private readonly o: PipelineOptions) {
    super();
  }

  /** Resolves once the models are loaded in the worker. */
  async start(): Promise<void> {
    const worker = new Worker(workerUrl(), { workerData: this.o });
    this.worker = worker;
    try {
      await new Promise<void>((resolve, reject) => {
        const first = (m: { ready?: boolean; fatal?: string }) => {
          if (m.ready) resolve();
          else reject(new Error(`vision worker could not start: ${m.fatal ?? 'unknown error'}`));
        };
        worker.once('message', first);
        worker.once('error', reject);
      });
    } catch (e) {
      this.worker = undefined;
      // A thread terminated with the ONNX runtime loaded aborts the whole process (Napi::Error):
      // a worker whose models failed ends by itself, and is terminated only if it hangs.
      await endWorker(worker);
      throw e;
    }
    worker.on('message', (m: { id: number; result?: FrameResult; error?: string }) => this.onDone(m));
    worker.on('error', (e) => this.emit('error', e, this.busy?.meta as M));
    // A worker that dies (out of memory, a native crash) takes no more frames; say so instead of hanging.
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.busy = undefined;
      this.waiting = undefined;
      this.stats.errors++;
      this.emit('error', new Error(`vision worker exited (code ${code})`), undefined as M);
    });
  }

  /** Hand a frame over; false if it only replaced (dropped) an older waiting frame or nothing runs. */
  submit(frame: VisionFrame<M>): boolean {
    if (!this.worker) return false;
    this.stats.submitted++;
    if (!this.busy) {
      this.send(frame);
      return true;
    }
    if (this.waiting) {
      this.stats.dropped++;
      this.emit('dropped', this.waiting.meta);
    }
    this.waiting = frame;
    return true;
  }

  get idle(): boolean {
    return !this.busy && !this.waiting;
  }

  /** Whether the worker is up (it stops taking frames if it dies). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Waits for the frame in flight (up to STOP_GRACE_MS), then the worker ends by itself. */
  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.waiting = undefined;
    if (!w) return;
    w.postMessage({ stop: true });
    await endWorker(w);
  }

  private send(frame: VisionFrame<M>): void {
    const id = this.nextId++;
    this.busy = { id, meta: frame.meta };
    this.worker!.postMessage({ id, frame: new Uint8Array(frame.jpeg) });
  }

  private onDone(m: { id: number; result?: FrameResult; error?: string }): void {
    const meta = this.busy?.meta as M;
    this.busy = undefined;
    if (m.result) {
      this.stats.processed++;
      this.emit('result', m.result, meta);
    } else {
      this.stats.errors++;
      this.emit('error', new Error(m.error ?? 'vision worker failed'), meta);
    }
    const next = this.waiting;
    this.waiting = undefined;
    if (next && this.worker) this.send(next);
  }
}

/**
 * The worker's entry: the compiled worker in an installed release; from the sources, a boot file
 * that registers tsx first (worker threads do not inherit the main thread's loader).
 */
function workerUrl(): URL {
  const compiled = import.meta.url.endsWith('.js');
  return new URL(compiled ? './vision-worker.js' : './vision-worker-boot.mjs', import.meta.url);
}

/** Wait for a worker asked to end (or ending by itself), up to STOP_GRACE_MS; then terminate it. */
async function endWorker(w: Worker): Promise<void> {
  if (w.threadId === -1) return;
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  const timer = setTimeout(() => void w.terminate(), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
