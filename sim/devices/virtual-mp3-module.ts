import { EventEmitter } from 'node:events';
import { mp3 } from '../../protocols/index.ts';
import type { SerialDeviceModel } from './serial-device.ts';

const { Mp3Cmd, encodeMp3 } = mp3;

export interface VirtualMp3Options {
  /** Tracks on the card and how long each plays, in ms. Default: tracks 1–20 of 1.5 s. */
  tracks?: Record<number, number>;
  now?: () => number;
}

export interface PlayRecord {
  at: number;
  track: number;
  volume: number;
}

/**
 * A DFPlayer/YX5200-compatible MP3 module: plays numbered tracks for their length, ACKs when
 * asked, answers queries, reports the end of a track (twice, as real modules do).
 * Emits 'play' (PlayRecord) and 'stop'.
 */
export class VirtualMp3Module extends EventEmitter implements SerialDeviceModel {
  readonly kind = 'mp3';
  volume = 20;
  playing: number | undefined;
  cardPresent = true;
  readonly plays: PlayRecord[] = [];
  private readonly tracks: Record<number, number>;
  private finishTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(opts: VirtualMp3Options = {}) {
    super();
    this.tracks = opts.tracks ?? Object.fromEntries(Array.from({ length: 20 }, (_, i) => [i + 1, 1500]));
    this.now = opts.now ?? (() => performance.now());
  }

  createFramer() {
    return new mp3.Mp3Framer();
  }

  /** Take the card out (or put it back): every play then fails with "track not found". */
  setCard(present: boolean): void {
    this.cardPresent = present;
    this.send(present ? Mp3Cmd.cardInserted : Mp3Cmd.cardRemoved, 2);
    if (!present) this.halt();
  }

  close(): void {
    clearTimeout(this.finishTimer);
  }

  receive(frame: Buffer): void {
    const d = mp3.decodeMp3(frame);
    if (!d.ok) return this.send(Mp3Cmd.error, 4);
    const { cmd, param, feedback } = d.value;
    const ack = () => feedback && this.send(Mp3Cmd.ack, 0);
    switch (cmd) {
      case Mp3Cmd.playTrack:
      case Mp3Cmd.loopTrack:
      case Mp3Cmd.playAdvert:
        return this.start(param, ack);
      case Mp3Cmd.playFolderTrack:
        return this.start(((param >> 8) - 1) * 255 + (param & 0xff), ack);
      case Mp3Cmd.setVolume:
        if (param > 30) return this.send(Mp3Cmd.error, 3);
        this.volume = param;
        return void ack();
      case Mp3Cmd.volumeUp:
        this.volume = Math.min(30, this.volume + 1);
        return void ack();
      case Mp3Cmd.volumeDown:
        this.volume = Math.max(0, this.volume - 1);
        return void ack();
      case Mp3Cmd.stop:
      case Mp3Cmd.pause:
      case Mp3Cmd.stopAdvert:
        this.halt();
        return void ack();
      case Mp3Cmd.reset:
        this.halt();
        this.volume = 20;
        return this.send(Mp3Cmd.initialised, 2);
      case Mp3Cmd.queryStatus:
        return this.send(Mp3Cmd.queryStatus, 0x0200 | (this.playing ? 1 : 0));
      case Mp3Cmd.queryVolume:
        return this.send(Mp3Cmd.queryVolume, this.volume);
      case Mp3Cmd.queryFileCount:
        return this.send(Mp3Cmd.queryFileCount, this.cardPresent ? Object.keys(this.tracks).length : 0);
      case Mp3Cmd.queryCurrentTrack:
        return this.send(Mp3Cmd.queryCurrentTrack, this.playing ?? 0);
      default:
        return this.send(Mp3Cmd.error, 3);
    }
  }

  private start(track: number, ack: () => unknown): void {
    const ms = this.tracks[track];
    if (!this.cardPresent || ms === undefined) return this.send(Mp3Cmd.error, 6);
    ack();
    clearTimeout(this.finishTimer);
    this.playing = track;
    const rec = { at: this.now(), track, volume: this.volume };
    this.plays.push(rec);
    this.emit('play', rec);
    this.finishTimer = setTimeout(() => {
      this.playing = undefined;
      this.send(Mp3Cmd.trackFinished, track);
      this.send(Mp3Cmd.trackFinished, track);
    }, ms);
    this.finishTimer.unref();
  }

  private halt(): void {
    clearTimeout(this.finishTimer);
    if (this.playing !== undefined) this.emit('stop');
    this.playing = undefined;
  }

  private send(cmd: number, param: number): void {
    this.emit('send', encodeMp3({ cmd, param, feedback: false }));
  }
}
