import { crcValid } from './crc.ts';
import { MAX_FRAME, expectedFrameLength } from './pdu.ts';

export type FrameRole = 'request' | 'response';

export interface FrameSplitterOptions {
  /** Which frames this side receives: a slave reads requests, a master reads responses. */
  role: FrameRole;
  baudRate?: number;
  /**
   * Floor for the inter-frame silence. USB–RS-485 adapters and ptys hand bytes over in bursts
   * with OS latency well above t3.5, so a strict 3.5-character rule would cut frames in half.
   */
  minSilenceMs?: number;
}

export interface FrameSplitterStats {
  frames: number;
  /** Bytes skipped while searching for a valid frame start. */
  noiseBytes: number;
  /** Candidate frames whose CRC did not match. */
  crcErrors: number;
  /** Partial frames discarded because the line went silent. */
  truncated: number;
}

export type Discard = { reason: 'noise' | 'bad_crc' | 'truncated'; bytes: number };

/** t3.5 in ms: 3.5 eleven-bit characters up to 19200 baud, 1.75 ms above (Modbus serial line spec). */
export function interFrameSilenceMs(baudRate: number): number {
  return baudRate > 19_200 ? 1.75 : (3.5 * 11 * 1000) / baudRate;
}

/**
 * Splits a byte stream into CRC-valid Modbus RTU frames. Frames are found by length (from the
 * function code) and CRC; on a CRC mismatch it slides one byte and tries again, so noise,
 * truncation and corruption cost only the damaged frame. Silence ends a frame whose function it
 * cannot size (an unknown function still reaches the slave, which answers "illegal function").
 */
export class ModbusFrameSplitter {
  readonly silenceMs: number;
  readonly stats: FrameSplitterStats = { frames: 0, noiseBytes: 0, crcErrors: 0, truncated: 0 };
  private buf = Buffer.alloc(0);
  private lastAt = -Infinity;
  private readonly role: FrameRole;

  constructor(opts: FrameSplitterOptions) {
    this.role = opts.role;
    this.silenceMs = Math.max(interFrameSilenceMs(opts.baudRate ?? 9600), opts.minSilenceMs ?? 15);
  }

  get pending(): number {
    return this.buf.length;
  }

  /** Feed bytes that arrived at `nowMs`; returns the frames completed by them. */
  push(chunk: Uint8Array, nowMs: number, onDiscard?: (d: Discard) => void): Buffer[] {
    const out: Buffer[] = [];
    if (this.buf.length && nowMs - this.lastAt > this.silenceMs) out.push(...this.silence(onDiscard));
    this.lastAt = nowMs;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    this.extract(out, onDiscard);
    return out;
  }

  /**
   * The line went quiet: no more bytes will complete what is buffered. A lone CRC-valid frame of
   * unknown function is passed on; otherwise frames behind the damaged bytes are recovered and
   * the rest discarded.
   */
  silence(onDiscard?: (d: Discard) => void): Buffer[] {
    const b = this.buf;
    if (!b.length) return [];
    if (b.length >= 4 && b.length <= MAX_FRAME && expectedFrameLength(b, this.role) === -1 && crcValid(b)) {
      this.buf = Buffer.alloc(0);
      this.stats.frames++;
      return [b];
    }
    const out: Buffer[] = [];
    const before = this.stats.frames;
    this.extract(out, onDiscard, true);
    if (this.stats.frames === before || this.buf.length) {
      this.stats.truncated++;
      onDiscard?.({ reason: 'truncated', bytes: this.buf.length });
    }
    this.buf = Buffer.alloc(0);
    return out;
  }

  private extract(out: Buffer[], onDiscard?: (d: Discard) => void, final = false): void {
    const b = this.buf;
    let off = 0;
    let noise = 0;
    const skip = (reason: Discard['reason']) => {
      off++;
      if (reason === 'noise') noise++;
      else onDiscard?.({ reason, bytes: 1 });
    };
    while (b.length - off >= 2) {
      const view = b.subarray(off);
      const unit = view[0];
      if (unit > 247 || (this.role === 'response' && unit === 0)) {
        skip('noise');
        continue;
      }
      const len = expectedFrameLength(view, this.role);
      if (len === -1) {
        // Unknown function: maybe a vendor frame that silence will end, maybe noise.
        // Keep it only if it starts the buffer and nothing known follows it yet.
        if (!final && off === 0 && view.length <= MAX_FRAME && !this.knownFrameAhead(view)) break;
        skip('noise');
        continue;
      }
      if (len === 0 || view.length < len) {
        // Wait for the rest, unless a whole frame already sits behind these bytes (they were noise).
        if (!final && !this.knownFrameAhead(view)) break;
        skip('noise');
        continue;
      }
      if (len > MAX_FRAME || !crcValid(view, len)) {
        this.stats.crcErrors++;
        skip('bad_crc');
        continue;
      }
      out.push(Buffer.from(view.subarray(0, len)));
      this.stats.frames++;
      off += len;
    }
    if (noise) {
      this.stats.noiseBytes += noise;
      onDiscard?.({ reason: 'noise', bytes: noise });
    }
    this.buf = off ? b.subarray(off) : b;
  }

  /** Whether a sizeable, CRC-valid frame starts somewhere after the first byte. */
  private knownFrameAhead(view: Buffer): boolean {
    const end = Math.min(view.length, 2 * MAX_FRAME);
    for (let i = 1; i + 4 <= end; i++) {
      const len = expectedFrameLength(view.subarray(i), this.role);
      if (len > 0 && i + len <= end && crcValid(view.subarray(i), len)) return true;
    }
    return false;
  }
}
