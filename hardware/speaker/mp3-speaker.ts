import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { mp3 } from '../../protocols/index.ts';
import { HardwareError } from '../errors.ts';
import { HealthState } from '../health.ts';
import { ProbeLoop } from '../probe-loop.ts';
import type { SerialLine } from '../serial/serial-line.ts';
import type { Loudspeaker, PlayOptions, SpeakerState } from './speaker.ts';

const { Mp3Cmd, mp3Frames } = mp3;

export interface Mp3SpeakerOptions {
  name?: string;
  timeoutMs?: number;
  retries?: number;
  /** How often to look for an offline module on an open port. */
  probeIntervalMs?: number;
  logger?: Logger;
}

interface Waiter {
  cmds: number[];
  resolve: (f: mp3.Mp3Frame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Loudspeaker on a DFPlayer/YX5200-compatible serial MP3 module. Commands ask for the module's
 * ACK so a dead or unplugged module is noticed; 'finished' events drive repeats.
 * Emits 'finished' (clip number) when a clip ends.
 */
export class Mp3Speaker extends EventEmitter implements Loudspeaker {
  readonly name: string;
  readonly health = new HealthState();
  private readonly framer = new mp3.Mp3Framer();
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly log: Logger | undefined;
  private waiter: Waiter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private current: { clip: number; remaining: number } | undefined;
  private volume = 20;
  private lastFinishedAt = 0;
  private readonly onData = (d: Buffer) => this.framer.write(d);
  private readonly probeLoop: ProbeLoop;

  constructor(
    readonly line: SerialLine,
    opts: Mp3SpeakerOptions = {},
  ) {
    super();
    this.name = opts.name ?? 'speaker';
    this.timeoutMs = opts.timeoutMs ?? 300;
    this.retries = opts.retries ?? 2;
    this.log = opts.logger?.child({ driver: this.name });
    this.framer.on('data', (f: Buffer) => this.onFrame(f));
    line.on('data', this.onData);
    line.on('close', () => this.health.offline(new HardwareError('port_closed', `serial port ${line.path} closed`)));
    line.on('open', () => void this.probe());
    this.health.on('change', (h) => this.log?.info({ health: h }, 'speaker health changed'));
    this.probeLoop = new ProbeLoop(
      opts.probeIntervalMs ?? 5000,
      () => line.isOpen && this.health.value.state === 'offline',
      () => this.probe(),
    );
  }

  async start(): Promise<void> {
    this.probeLoop.start();
    await this.line.start();
    if (this.line.isOpen) await this.probe();
    else this.health.offline(new HardwareError('port_closed', `serial port ${this.line.path} is not open`));
  }

  async stop(): Promise<void> {
    this.probeLoop.stop();
    this.current = undefined;
    if (this.line.isOpen) await this.silence().catch(() => undefined);
    this.line.off('data', this.onData);
    if (this.waiter) this.settle(undefined, new HardwareError('stopped', 'speaker stopped'));
    await this.line.stop();
  }

  async play(clip: number, opts: PlayOptions = {}): Promise<void> {
    const times = opts.times ?? 1;
    if (!Number.isInteger(times) || times < 1 || times > 20) throw new RangeError(`times ${times} is outside 1–20`);
    if (opts.volume !== undefined) await this.setVolume(opts.volume);
    this.current = { clip, remaining: times - 1 };
    await this.command(mp3Frames.playTrack(clip));
  }

  async silence(): Promise<void> {
    this.current = undefined;
    await this.command(mp3Frames.stop());
  }

  async setVolume(volume: number): Promise<void> {
    await this.command(mp3Frames.setVolume(volume));
    this.volume = volume;
  }

  async state(): Promise<SpeakerState> {
    const status = await this.query(mp3Frames.queryStatus(), Mp3Cmd.queryStatus);
    const vol = await this.query(mp3Frames.queryVolume(), Mp3Cmd.queryVolume);
    this.volume = vol.param;
    // Status low byte: 0 stopped, 1 playing, 2 paused.
    const playing = (status.param & 0xff) === 1;
    return playing && this.current
      ? { playing, volume: this.volume, clip: this.current.clip }
      : { playing, volume: this.volume };
  }

  private async probe(): Promise<void> {
    try {
      await this.state();
      this.health.ok();
    } catch (e) {
      this.health.offline(e);
    }
  }

  /** Send with the feedback flag set and wait for ACK (41) or error (40), retrying on silence. */
  private command(frame: Buffer): Promise<void> {
    return this.enqueue(async () => {
      const reply = await this.exchange(frame, [Mp3Cmd.ack, Mp3Cmd.error]);
      if (reply.cmd === Mp3Cmd.error) {
        const why = mp3.MP3_ERRORS[reply.param & 0xff] ?? `error ${reply.param}`;
        this.health.degraded(new HardwareError('device_error', `MP3 module: ${why}`, this.name));
        throw new HardwareError(
          'device_error',
          `MP3 module refused command 0x${frame[3].toString(16)}: ${why}`,
          this.name,
        );
      }
    });
  }

  private query(frame: Buffer, cmd: number): Promise<mp3.Mp3Frame> {
    return this.enqueue(() => this.exchange(frame, [cmd, Mp3Cmd.error]));
  }

  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async exchange(frame: Buffer, cmds: number[]): Promise<mp3.Mp3Frame> {
    let last: Error | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      try {
        const reply = new Promise<mp3.Mp3Frame>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              this.settle(
                undefined,
                new HardwareError('no_reply', `MP3 module did not answer within ${this.timeoutMs} ms`, this.name),
              ),
            this.timeoutMs,
          );
          this.waiter = { cmds, resolve, reject, timer };
        });
        // The reply may time out (or the write fail) before we await it: it is handled below,
        // not an unhandled rejection.
        reply.catch(() => undefined);
        await this.line.write(frame);
        const r = await reply;
        if (r.cmd !== Mp3Cmd.error) this.health.ok();
        return r;
      } catch (e) {
        if (this.waiter) this.settle(undefined, e as Error);
        last = e as Error;
        if (!(e instanceof HardwareError) || e.code !== 'no_reply') break;
      }
    }
    this.health.offline(last);
    throw last;
  }

  private settle(frame: mp3.Mp3Frame | undefined, err?: Error): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    clearTimeout(w.timer);
    if (frame) w.resolve(frame);
    else w.reject(err ?? new Error('no reply'));
  }

  private onFrame(bytes: Buffer): void {
    const d = mp3.decodeMp3(bytes);
    if (!d.ok) return;
    const f = d.value;
    if (f.cmd === Mp3Cmd.trackFinished) return this.onFinished(f.param);
    if (this.waiter?.cmds.includes(f.cmd)) this.settle(f);
  }

  private onFinished(track: number): void {
    // Modules report the end of a track twice in a row.
    const now = performance.now();
    if (now - this.lastFinishedAt < 100) return;
    this.lastFinishedAt = now;
    this.emit('finished', track);
    const cur = this.current;
    if (!cur || cur.clip !== track) return;
    if (cur.remaining <= 0) {
      this.current = undefined;
      return;
    }
    cur.remaining--;
    void this.command(mp3Frames.playTrack(cur.clip)).catch((e) =>
      this.log?.warn({ err: (e as Error).message }, 'repeat failed'),
    );
  }
}
