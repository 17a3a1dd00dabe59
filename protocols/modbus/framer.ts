import { Transform, type TransformCallback } from 'node:stream';
import { ModbusFrameSplitter, type Discard, type FrameSplitterOptions } from './frame-splitter.ts';

export interface ModbusFramerOptions extends FrameSplitterOptions {
  now?: () => number;
}

/**
 * A parser stream in the node-serialport style: bytes in, one Buffer per valid frame out.
 * Emits 'discard' ({reason, bytes}) for what it throws away, so drivers can count line errors.
 */
export class ModbusFramer extends Transform {
  readonly splitter: ModbusFrameSplitter;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private readonly onDiscard = (d: Discard) => this.emit('discard', d);

  constructor(opts: ModbusFramerOptions) {
    super({ readableObjectMode: true });
    this.splitter = new ModbusFrameSplitter(opts);
    this.now = opts.now ?? (() => performance.now());
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    clearTimeout(this.timer);
    for (const f of this.splitter.push(chunk, this.now(), this.onDiscard)) this.push(f);
    if (this.splitter.pending) {
      this.timer = setTimeout(() => this.onSilence(), this.splitter.silenceMs);
      this.timer.unref();
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    clearTimeout(this.timer);
    this.onSilence();
    done();
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    clearTimeout(this.timer);
    cb(err);
  }

  private onSilence(): void {
    for (const f of this.splitter.silence(this.onDiscard)) this.push(f);
  }
}
