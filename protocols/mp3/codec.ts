import { fail, ok, type Result } from '../result.ts';

/**
 * DFPlayer Mini / YX5200-compatible serial MP3 modules, 9600 8N1.
 * Frame: 7E FF 06 CMD FB P1 P2 CK_H CK_L EF; checksum = 0x10000 − (FF+06+CMD+FB+P1+P2).
 */
export const MP3_FRAME_LENGTH = 10;
const START = 0x7e;
const VERSION = 0xff;
const LENGTH = 0x06;
const END = 0xef;

export const Mp3Cmd = {
  next: 0x01,
  previous: 0x02,
  playTrack: 0x03,
  volumeUp: 0x04,
  volumeDown: 0x05,
  setVolume: 0x06,
  loopTrack: 0x08,
  reset: 0x0c,
  play: 0x0d,
  pause: 0x0e,
  playFolderTrack: 0x0f,
  playAdvert: 0x13,
  stopAdvert: 0x15,
  stop: 0x16,
  // Replies and feedback from the module.
  cardInserted: 0x3a,
  cardRemoved: 0x3b,
  trackFinished: 0x3d,
  initialised: 0x3f,
  error: 0x40,
  ack: 0x41,
  queryStatus: 0x42,
  queryVolume: 0x43,
  queryFileCount: 0x48,
  queryCurrentTrack: 0x4c,
} as const;

export const MP3_ERRORS: Record<number, string> = {
  1: 'module busy (initialising)',
  2: 'module in sleep mode',
  3: 'serial frame error',
  4: 'checksum error',
  5: 'track out of range',
  6: 'track not found',
  7: 'advert only while playing',
  8: 'SD card read failure',
  10: 'entered sleep',
};

export interface Mp3Frame {
  cmd: number;
  /** 16-bit parameter: P1 high byte, P2 low byte (folder/track pack into P1/P2). */
  param: number;
  /** Ask the module for an ACK (0x41) frame. */
  feedback: boolean;
}

export function mp3Checksum(frame: Uint8Array): number {
  let sum = 0;
  for (let i = 1; i <= 6; i++) sum += frame[i];
  return (0x10000 - sum) & 0xffff;
}

export function encodeMp3({ cmd, param, feedback }: Mp3Frame): Buffer {
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0xff) throw new RangeError(`MP3 command ${cmd} is not a byte`);
  if (!Number.isInteger(param) || param < 0 || param > 0xffff)
    throw new RangeError(`MP3 parameter ${param} is not 16-bit`);
  const f = Buffer.from([START, VERSION, LENGTH, cmd, feedback ? 1 : 0, param >> 8, param & 0xff, 0, 0, END]);
  f.writeUInt16BE(mp3Checksum(f), 7);
  return f;
}

export function decodeMp3(buf: Uint8Array): Result<Mp3Frame> {
  if (buf.length !== MP3_FRAME_LENGTH) return fail('bad_length', `MP3 frame must be 10 bytes, got ${buf.length}`);
  if (buf[0] !== START || buf[9] !== END) return fail('bad_frame', 'MP3 frame must start with 7E and end with EF');
  if (buf[1] !== VERSION || buf[2] !== LENGTH)
    return fail('bad_frame', `MP3 frame has version ${buf[1]} length ${buf[2]}, want FF 06`);
  const ck = (buf[7] << 8) | buf[8];
  if (ck !== mp3Checksum(buf)) {
    return fail('bad_checksum', `MP3 checksum ${ck.toString(16)} should be ${mp3Checksum(buf).toString(16)}`);
  }
  return ok({ cmd: buf[3], feedback: buf[4] === 1, param: (buf[5] << 8) | buf[6] });
}

/** Convenience builders for the commands the speaker driver sends. */
export const mp3Frames = {
  playTrack: (track: number, feedback = true) =>
    encodeMp3({ cmd: Mp3Cmd.playTrack, param: checkRange(track, 1, 2999, 'track'), feedback }),
  playFolderTrack: (folder: number, track: number, feedback = true) =>
    encodeMp3({
      cmd: Mp3Cmd.playFolderTrack,
      param: (checkRange(folder, 1, 99, 'folder') << 8) | checkRange(track, 1, 255, 'track'),
      feedback,
    }),
  playAdvert: (track: number, feedback = true) =>
    encodeMp3({ cmd: Mp3Cmd.playAdvert, param: checkRange(track, 1, 3000, 'advert'), feedback }),
  loopTrack: (track: number, feedback = true) =>
    encodeMp3({ cmd: Mp3Cmd.loopTrack, param: checkRange(track, 1, 2999, 'track'), feedback }),
  setVolume: (volume: number, feedback = true) =>
    encodeMp3({ cmd: Mp3Cmd.setVolume, param: checkRange(volume, 0, 30, 'volume'), feedback }),
  stop: (feedback = true) => encodeMp3({ cmd: Mp3Cmd.stop, param: 0, feedback }),
  queryStatus: () => encodeMp3({ cmd: Mp3Cmd.queryStatus, param: 0, feedback: false }),
  queryVolume: () => encodeMp3({ cmd: Mp3Cmd.queryVolume, param: 0, feedback: false }),
  reset: () => encodeMp3({ cmd: Mp3Cmd.reset, param: 0, feedback: false }),
};

function checkRange(n: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${what} ${n} is outside ${min}–${max}`);
  return n;
}
