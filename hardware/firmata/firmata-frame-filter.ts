/** Counts of what the filter let through and what it held back. */
export interface FirmataLineStats {
  frames: number;
  noiseBytes: number;
  /** Digital reports dropped: on a noisy line, or naming pins that are not inputs. */
  droppedDigital: number;
  /** Frames passed on that firmata.js could not take (noise shaped like a reply): dropped. */
  refusedFrames: number;
}

export interface FirmataFrameFilterOptions {
  /** The pins set up as inputs: a digital report may only carry their bits. */
  inputPins: () => ReadonlySet<number>;
  /** A digital report counts only after the line has been free of noise this long. */
  quietMs?: number;
  now?: () => number;
}

const MAX_SYSEX = 4096;
/** What StandardFirmata sends to the host: digital and analog reports, its version, sysex. */
const FIXED = (cmd: number) => (cmd & 0xf0) === 0x90 || (cmd & 0xf0) === 0xe0 || cmd === 0xf9;

/**
 * Firmata frames have no checksum, and random bytes on a serial line (a loose connector, a long
 * unshielded run next to a pump motor) form valid-looking digital reports: 100 KB of noise made
 * 8 false presence triggers. This passes on only whole frames of the kinds a board sends, and
 * a digital report only when it is plausible — the line was quiet for `quietMs` before it, and it
 * sets no bit of a pin that is not an input (StandardFirmata masks those) — so a presence trigger
 * comes from a board, not from noise. Whatever it holds back is counted.
 */
export class FirmataFrameFilter {
  readonly stats: FirmataLineStats = { frames: 0, noiseBytes: 0, droppedDigital: 0, refusedFrames: 0 };
  /** When noise was last seen (ms, the filter's clock), or -Infinity. */
  lastNoiseAt = Number.NEGATIVE_INFINITY;
  private frame: number[] = [];
  readonly quietMs: number;
  private readonly now: () => number;

  constructor(private readonly o: FirmataFrameFilterOptions) {
    this.quietMs = o.quietMs ?? 100;
    this.now = o.now ?? (() => performance.now());
  }

  /** The bytes of the whole, plausible frames in this chunk; a partial frame waits for the next. */
  filter(chunk: Buffer): Buffer {
    return Buffer.concat(this.frames(chunk));
  }

  /** The whole, plausible frames in this chunk, each on its own. */
  frames(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const b of chunk) {
      const f = this.frame;
      if (b >= 0x80) {
        if (b === 0xf7 && f[0] === 0xf0) {
          f.push(b);
          this.emit(out);
          continue;
        }
        if (f.length) this.noise(f.length);
        this.frame = [];
        if (FIXED(b) || b === 0xf0) this.frame.push(b);
        else this.noise(1);
        continue;
      }
      if (!f.length) {
        this.noise(1);
        continue;
      }
      f.push(b);
      if (f[0] === 0xf0) {
        if (f.length > MAX_SYSEX) {
          this.noise(f.length);
          this.frame = [];
        }
      } else if (f.length === 3) this.emit(out);
    }
    return out;
  }

  /** A frame that passed but the parser could not take: noise after all. */
  refused(bytes: number): void {
    this.stats.refusedFrames++;
    this.noise(bytes);
  }

  /** Whether noise was seen within the last `quietMs`. */
  get noisy(): boolean {
    return this.now() - this.lastNoiseAt < this.quietMs;
  }

  private emit(out: Buffer[]): void {
    const f = this.frame;
    this.frame = [];
    if ((f[0]! & 0xf0) === 0x90 && !this.plausible(f[0]! & 0x0f, f[1]!, f[2]!)) {
      this.stats.droppedDigital++;
      return;
    }
    this.stats.frames++;
    out.push(Buffer.from(f));
  }

  private plausible(port: number, lsb: number, msb: number): boolean {
    if (this.noisy || (msb & 0x7e) !== 0) return false;
    const bits = lsb | ((msb & 1) << 7);
    const inputs = this.o.inputPins();
    for (let i = 0; i < 8; i++) if ((bits >> i) & 1 && !inputs.has(port * 8 + i)) return false;
    return true;
  }

  private noise(bytes: number): void {
    this.stats.noiseBytes += bytes;
    this.lastNoiseAt = this.now();
  }
}
