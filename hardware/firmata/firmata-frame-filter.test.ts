import { describe, expect, it } from 'vitest';
import { FirmataFrameFilter } from './firmata-frame-filter.ts';

/** A seeded byte source (xorshift32): the same noise on every run. */
function noise(bytes: number, seed = 0x2545f491): Buffer {
  const out = Buffer.alloc(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** What a parser without the filter takes for digital reports of a port: 0x9P and two data bytes. */
const naiveReports = (b: Buffer, port: number) => {
  let n = 0;
  for (let i = 0; i + 2 < b.length; i++) if (b[i] === (0x90 | port) && b[i + 1]! < 0x80 && b[i + 2]! < 0x80) n++;
  return n;
};

describe('Firmata frame filter', () => {
  const make = (pins: number[], clock = { t: 0 }) =>
    new FirmataFrameFilter({ inputPins: () => new Set(pins), quietMs: 100, now: () => clock.t });

  it('passes whole frames of every kind a board sends, split anywhere across chunks', () => {
    const f = make([2]);
    const frames = [
      [0xf9, 2, 5],
      [0xf0, 0x79, 2, 5, 0x53, 0, 0x46, 0, 0xf7],
      [0x90, 0x04, 0x00],
      [0xe3, 0x10, 0x03],
    ];
    const all = Buffer.from(frames.flat());
    const out = [...all].map((b) => f.filter(Buffer.from([b]))).reduce((a, b) => Buffer.concat([a, b]));
    expect([...out]).toEqual([...all]);
    expect(f.stats).toEqual({ frames: 4, noiseBytes: 0, droppedDigital: 0, refusedFrames: 0 });
  });

  it('lets no digital report out of 100 KB of noise, where a bare parser found hundreds', () => {
    const clock = { t: 0 };
    const f = make([2], clock);
    const junk = noise(100 * 1024);
    let passed = 0;
    for (let i = 0; i < junk.length; i += 64) {
      clock.t += 6; // 57600 baud: ~6 ms per 64 bytes
      const out = f.filter(junk.subarray(i, i + 64));
      for (let j = 0; j < out.length; j++) if ((out[j]! & 0xf0) === 0x90) passed++;
    }
    expect(naiveReports(junk, 0)).toBeGreaterThan(50);
    expect(passed).toBe(0);
    expect(f.stats.noiseBytes).toBeGreaterThan(90 * 1024);
    expect(f.stats.droppedDigital).toBeGreaterThan(0);
  });

  it('drops a report naming a pin that is no input, or coming right after noise; passes it once quiet', () => {
    const clock = { t: 1000 };
    const f = make([2, 3], clock);
    expect([...f.filter(Buffer.from([0x90, 0x04, 0x00]))]).toEqual([0x90, 0x04, 0x00]);
    expect(f.filter(Buffer.from([0x90, 0x14, 0x00])).length).toBe(0); // pin 4 is an output
    expect(f.filter(Buffer.from([0x90, 0x04, 0x02])).length).toBe(0); // MSB bits past bit 0
    expect(f.filter(Buffer.from([0x91, 0x01, 0x00])).length).toBe(0); // pin 8: another port
    f.filter(Buffer.from([0x33, 0x90]));
    expect(f.filter(Buffer.from([0x0c, 0x00])).length).toBe(0); // plausible, but on a noisy line
    clock.t += 150;
    expect([...f.filter(Buffer.from([0x90, 0x0c, 0x00]))]).toEqual([0x90, 0x0c, 0x00]);
    expect(f.stats.droppedDigital).toBe(4);
  });
});
