import { EventEmitter } from 'node:events';
import five, { type Board } from 'johnny-five';
import firmataIo, { type Firmata, type FirmataTransport } from 'firmata-io';
import type { Logger } from 'pino';
import { HardwareError } from '../errors.ts';
import { HealthState } from '../health.ts';
import { ProbeLoop } from '../probe-loop.ts';
import { FirmataFrameFilter } from './firmata-frame-filter.ts';
import { withTimeout } from '../timeout.ts';
import type { SerialLine } from '../serial/serial-line.ts';

export interface FirmataBoardOptions {
  name?: string;
  /** How long to wait for the board to answer the Firmata handshake. */
  readyTimeoutMs?: number;
  /** How often to retry the handshake with a silent board on an open port. */
  probeIntervalMs?: number;
  /** Digital reports count only after the line was free of noise this long (default 100). */
  quietMs?: number;
  logger?: Logger;
}

/**
 * Bridges our SerialLine to the transport shape firmata.js expects (events + write callback),
 * passing on only what the frame filter lets through. A frame firmata.js throws on (noise shaped
 * like a sysex reply about a pin the board does not have) goes to `refused`, not up the line's
 * event handler, where it would end the process.
 */
function transportFor(
  line: SerialLine,
  pass: (d: Buffer) => Buffer[],
  refused: (e: Error, frame: Buffer) => void,
): FirmataTransport & { detach(): void } {
  const t = new EventEmitter() as FirmataTransport & { detach(): void };
  const onData = (d: Buffer) => {
    // Frame by frame: one the parser throws on costs only itself.
    for (const frame of pass(d))
      try {
        t.emit('data', frame);
      } catch (e) {
        refused(e as Error, frame);
      }
  };
  line.on('data', onData);
  t.write = (data: Buffer, cb?: (err?: Error | null) => void) =>
    line.write(data).then(
      () => cb?.(null),
      (e: Error) => cb?.(e),
    );
  t.detach = () => line.off('data', onData);
  return t;
}

/**
 * An Arduino-class board running StandardFirmata, driven through johnny-five. After the port
 * comes back it redoes the handshake and emits 'ready' again, so components rebuild themselves.
 * Emits 'ready' (johnny-five Board) and 'lost'.
 */
export class FirmataBoard extends EventEmitter {
  readonly name: string;
  readonly health = new HealthState();
  /** Pins that components set up as inputs: only their bits may be reported. */
  readonly inputPins = new Set<number>();
  readonly filter: FirmataFrameFilter;
  board: Board | undefined;
  io: Firmata | undefined;
  private transport: ReturnType<typeof transportFor> | undefined;
  private readonly readyTimeoutMs: number;
  private readonly log: Logger | undefined;
  private connecting: Promise<void> | undefined;
  private readonly probeLoop: ProbeLoop;
  private resyncTimer: NodeJS.Timeout | undefined;
  private noisySince: number | undefined;

  constructor(
    readonly line: SerialLine,
    opts: FirmataBoardOptions = {},
  ) {
    super();
    this.name = opts.name ?? 'firmata';
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 5000;
    this.log = opts.logger?.child({ driver: this.name });
    this.filter = new FirmataFrameFilter({ inputPins: () => this.inputPins, quietMs: opts.quietMs });
    line.on('open', () => void this.connect());
    line.on('close', () => {
      this.teardown();
      this.health.offline(new HardwareError('port_closed', `serial port ${line.path} closed`));
      this.emit('lost');
    });
    this.probeLoop = new ProbeLoop(
      opts.probeIntervalMs ?? 5000,
      () => line.isOpen && !this.ready && !this.connecting,
      () => this.connect(),
    );
  }

  get ready(): boolean {
    return this.board?.isReady === true;
  }

  async start(): Promise<void> {
    this.probeLoop.start();
    await this.line.start();
    if (this.line.isOpen) await this.connect();
    else this.health.offline(new HardwareError('port_closed', `serial port ${this.line.path} is not open`));
  }

  async stop(): Promise<void> {
    this.probeLoop.stop();
    this.teardown();
    await this.line.stop();
  }

  private connect(): Promise<void> {
    this.connecting ??= this.handshake().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async handshake(): Promise<void> {
    this.teardown();
    const transport = transportFor(
      this.line,
      (d) => this.screen(d),
      (e, frame) => {
        // firmata.js keeps a frame it threw on and would append to it: start afresh.
        io.buffer.length = 0;
        this.filter.refused(frame.length);
        this.log?.warn({ err: e.message, bytes: frame.length }, 'Firmata frame refused (noise shaped like a reply)');
        this.noticeNoise(frame.length);
      },
    );
    this.transport = transport;
    // Ask for the version soon instead of waiting for a reset banner that a pty never sends.
    const io = new firmataIo.Firmata(transport, { reportVersionTimeout: 150 });
    io.on('error', (e: Error) => this.log?.warn({ err: e.message }, 'firmata error'));
    const board = new five.Board({ io, repl: false, debug: false, timeout: this.readyTimeoutMs });
    board.on('error', (e: Error) => this.log?.warn({ err: e.message }, 'board error'));
    // johnny-five waits for the IO's 'connect' (from the transport's 'open'); our line is already open.
    process.nextTick(() => transport.emit('open'));
    // firmata.js asks for the version once; a board that was still booting (or a pty whose far
    // end was not yet open) misses it, so keep asking until it answers.
    const ask = setInterval(() => {
      if (io.versionReceived) return clearInterval(ask);
      io.reportVersion(() => undefined);
      io.queryFirmware(() => undefined);
    }, 500);
    try {
      await withTimeout(
        new Promise<void>((resolve) => board.once('ready', () => resolve())),
        this.readyTimeoutMs,
        `board on ${this.line.path} did not finish the Firmata handshake in ${this.readyTimeoutMs} ms`,
      );
    } catch (e) {
      transport.detach();
      this.health.offline(e);
      return;
    } finally {
      clearInterval(ask);
    }
    if (this.transport !== transport) return;
    this.io = io;
    this.board = board;
    this.health.ok();
    this.log?.info('firmata board ready');
    this.emit('ready', board);
  }

  /**
   * Whole, plausible frames only. After noise, once the line is quiet again, the board is asked to
   * report its inputs afresh: a real change that came during the noise was dropped with it.
   */
  private screen(d: Buffer): Buffer[] {
    const before = this.filter.stats.noiseBytes;
    const frames = this.filter.frames(d);
    this.noticeNoise(this.filter.stats.noiseBytes - before);
    return frames;
  }

  /** Noise seen: said once per noisy spell, and the board asked for its inputs once it is quiet. */
  private noticeNoise(noise: number): void {
    if (noise > 0) {
      if (this.noisySince === undefined) {
        this.noisySince = Date.now();
        this.log?.warn(
          { noiseBytes: noise, line: this.line.path },
          'Firmata line noisy: dropping what is not a whole frame from the board (check the cable and its shielding)',
        );
      }
      clearTimeout(this.resyncTimer);
      this.resyncTimer = setTimeout(() => this.resync(), this.filter.quietMs);
      this.resyncTimer.unref();
    }
  }

  private resync(): void {
    if (this.filter.noisy) {
      this.resyncTimer = setTimeout(() => this.resync(), 20);
      this.resyncTimer.unref();
      return;
    }
    if (this.noisySince !== undefined)
      this.log?.info(
        { ms: Date.now() - this.noisySince, ...this.filter.stats },
        'Firmata line quiet again; asked the board for its inputs',
      );
    this.noisySince = undefined;
    for (const pin of this.inputPins) this.io?.reportDigitalPin(pin, 1);
  }

  private teardown(): void {
    clearTimeout(this.resyncTimer);
    this.transport?.detach();
    this.transport = undefined;
    this.board = undefined;
    this.io = undefined;
  }
}
