import { Transform, type TransformCallback } from 'node:stream';
import { MP3_FRAME_LENGTH, decodeMp3 } from './codec.ts';

export interface Mp3SplitterStats {
  frames: number;
  noiseBytes: number;
  badFrames: number;
}

/** Finds 7E…EF frames with a valid checksum in a byte stream; slides one byte past anything else. */
export class Mp3FrameSplitter {
  readonly stats: Mp3SplitterStats = { frames: 0, noiseBytes: 0, badFrames: 0 };
  private buf = Buffer.alloc(0);

  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    const b = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    let off = 0;
    while (b.length - off >= 1) {
      if (b[off] !== 0x7e) {
        off++;
        this.stats.noiseBytes++;
        continue;
      }
      if (b.length - off < MP3_FRAME_LENGTH) break;
      const cand = b.subarray(off, off + MP3_FRAME_LENGTH);
      if (decodeMp3(cand).ok) {
        out.push(Buffer.from(cand));
        this.stats.frames++;
        off += MP3_FRAME_LENGTH;
      } else {
        this.stats.badFrames++;
        off++;
      }
    }
    this.buf = b.subarray(off);
    return out;
  }
}

/** Parser stream: bytes in, one 10-byte Buffer per valid MP3 module frame out. */
export class Mp3Framer extends Transform {
  readonly splitter = new Mp3FrameSplitter();
  constructor() {
    super({ readableObjectMode: true });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (const f of this.splitter.push(chunk)) this.push(f);
    done();
  }
}
