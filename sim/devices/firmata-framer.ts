import { Transform, type TransformCallback } from 'node:stream';

/** Splits a Firmata (MIDI-style) byte stream from the host into whole messages. */
export class FirmataFramer extends Transform {
  private msg: number[] = [];
  constructor() {
    super({ readableObjectMode: true });
  }

  private static lengthOf(cmd: number): number {
    if (cmd === 0xf0) return Infinity; // sysex runs to F7
    const hi = cmd < 0xf0 ? cmd & 0xf0 : cmd;
    if (hi === 0x90 || hi === 0xe0 || cmd === 0xf4 || cmd === 0xf5) return 3;
    if (hi === 0xc0 || hi === 0xd0) return 2;
    return 1; // F9 report version, FF reset
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (const b of chunk) {
      if (b & 0x80 && b !== 0xf7) this.msg = [b];
      else if (this.msg.length) this.msg.push(b);
      else continue; // data byte with no command: line noise
      const len = FirmataFramer.lengthOf(this.msg[0]);
      if ((len === Infinity && b === 0xf7) || this.msg.length === len) {
        this.push(Buffer.from(this.msg));
        this.msg = [];
      }
    }
    done();
  }
}
