import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mp3Cmd, decodeMp3, encodeMp3, mp3Frames } from './codec.ts';
import { Mp3FrameSplitter } from './framer.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('MP3 module codec', () => {
  // Vectors from PROTOCOLS.md (DFPlayer documentation, checksum by its formula).
  it.each([
    ['play track 1', () => mp3Frames.playTrack(1, false), '7E FF 06 03 00 00 01 FE F7 EF'],
    ['volume 15', () => mp3Frames.setVolume(15, false), '7E FF 06 06 00 00 0F FE E6 EF'],
    ['folder 2 track 5', () => mp3Frames.playFolderTrack(2, 5, false), '7E FF 06 0F 00 02 05 FE E5 EF'],
    ['folder 1 track 2', () => mp3Frames.playFolderTrack(1, 2, false), '7E FF 06 0F 00 01 02 FE E9 EF'],
    ['stop', () => mp3Frames.stop(false), '7E FF 06 16 00 00 00 FE E5 EF'],
    ['ACK asked', () => mp3Frames.playTrack(1, true), '7E FF 06 03 01 00 01 FE F6 EF'],
    ['query status', () => mp3Frames.queryStatus(), '7E FF 06 42 00 00 00 FE B9 EF'],
    [
      'datasheet example, corrected',
      () => encodeMp3({ cmd: 0x09, param: 4, feedback: false }),
      '7E FF 06 09 00 00 04 FE EE EF',
    ],
  ])('%s', (_name, build, want) => {
    expect(build()).toEqual(hex(want));
  });

  it("refuses the datasheet's own wrong checksum", () => {
    const r = decodeMp3(hex('7E FF 06 09 00 00 04 FF DD EF'));
    expect(!r.ok && r.error.code).toBe('bad_checksum');
  });

  it('range-checks parameters', () => {
    expect(() => mp3Frames.setVolume(31)).toThrow(/volume/);
    expect(() => mp3Frames.playFolderTrack(100, 1)).toThrow(/folder/);
  });

  it('decode∘encode is identity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.boolean(),
        (cmd, param, feedback) => {
          expect(decodeMp3(encodeMp3({ cmd, param, feedback }))).toEqual({ ok: true, value: { cmd, param, feedback } });
        },
      ),
    );
  });
});

describe('MP3 frame splitter', () => {
  it('finds every frame among noise, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            cmd: fc.constantFrom(Mp3Cmd.ack, Mp3Cmd.trackFinished, Mp3Cmd.queryVolume),
            param: fc.integer({ min: 0, max: 0xffff }),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        fc.array(fc.uint8Array({ maxLength: 9 }).filter((u) => !u.includes(0x7e))),
        fc.integer({ min: 1, max: 17 }),
        (frames, noise, chunk) => {
          const good = frames.map((f) => encodeMp3({ ...f, feedback: false }));
          const wire = Buffer.concat(
            good.flatMap((g, i) => [Buffer.from(noise[i % Math.max(1, noise.length)] ?? []), g]),
          );
          const s = new Mp3FrameSplitter();
          const got: Buffer[] = [];
          for (let off = 0; off < wire.length; off += chunk) got.push(...s.push(wire.subarray(off, off + chunk)));
          expect(got).toEqual(good);
        },
      ),
    );
  });

  it('never crashes on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        const s = new Mp3FrameSplitter();
        for (const f of s.push(bytes)) expect(decodeMp3(f).ok).toBe(true);
      }),
    );
  });
});
