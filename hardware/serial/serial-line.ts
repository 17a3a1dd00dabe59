import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { SerialPortStream, type OpenOptions } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import type { Logger } from 'pino';
import { HardwareError } from '../errors.ts';

/** A serialport binding: the OS one, or @serialport/binding-mock in tests. */
export type SerialBinding = OpenOptions['binding'];

export interface SerialLineOptions {
  path: string;
  baudRate?: number;
  /** The serialport binding; tests pass @serialport/binding-mock. Defaults to the OS binding. */
  binding?: SerialBinding;
  /** Reopen back-off after the port disappears (USB unplugged, pty closed). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * How often to check that the device node still exists. A vanished USB adapter or pty does not
   * always wake the reader, so the line would look open forever without this.
   */
  watchMs?: number;
  logger?: Logger;
}

/**
 * One serial port that stays open: it reopens with back-off after the device disappears and
 * comes back, and reports 'open' / 'close' so drivers can mark themselves offline meanwhile.
 * Events: 'data' (Buffer), 'open', 'close' (Error | undefined).
 */
export class SerialLine extends EventEmitter {
  readonly path: string;
  readonly baudRate: number;
  private port: SerialPortStream | undefined;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private readonly opts: Required<Omit<SerialLineOptions, 'logger' | 'binding'>> & { binding: SerialBinding };
  private readonly log: Logger | undefined;

  constructor(opts: SerialLineOptions) {
    super();
    this.path = opts.path;
    this.baudRate = opts.baudRate ?? 9600;
    this.opts = {
      path: opts.path,
      baudRate: this.baudRate,
      binding: opts.binding ?? (autoDetect() as SerialBinding),
      reconnectMinMs: opts.reconnectMinMs ?? 200,
      reconnectMaxMs: opts.reconnectMaxMs ?? 5000,
      watchMs: opts.watchMs ?? 250,
    };
    this.delay = this.opts.reconnectMinMs;
    this.log = opts.logger?.child({ port: opts.path });
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  /** Resolves after the first open attempt; if it failed, the line keeps retrying in the background. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchTimer);
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
    else p?.destroy();
  }

  /** Resolves once the bytes are handed to the OS (drained). */
  write(bytes: Uint8Array): Promise<void> {
    const p = this.port;
    if (!p?.isOpen)
      return Promise.reject(new HardwareError('port_closed', `serial port ${this.path} is not open`, this.path));
    return new Promise((resolve, reject) => {
      p.write(bytes, (err) => {
        if (err)
          return reject(new HardwareError('port_closed', `write to ${this.path} failed: ${err.message}`, this.path));
        p.drain((e) =>
          e
            ? reject(new HardwareError('port_closed', `drain on ${this.path} failed: ${e.message}`, this.path))
            : resolve(),
        );
      });
    });
  }

  /** Wait until the port is open, or reject after `timeoutMs`. */
  waitOpen(timeoutMs: number): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('open', onOpen);
        reject(
          new HardwareError('port_closed', `serial port ${this.path} did not open within ${timeoutMs} ms`, this.path),
        );
      }, timeoutMs);
      const onOpen = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('open', onOpen);
    });
  }

  private open(): Promise<void> {
    return new Promise((resolve) => {
      const port = new SerialPortStream({
        path: this.path,
        baudRate: this.baudRate,
        binding: this.opts.binding,
        autoOpen: false,
      });
      this.port = port;
      port.on('data', (d: Buffer) => this.emit('data', d));
      port.on('error', (err: Error) => this.log?.debug({ err: err.message }, 'serial port error'));
      port.open((err) => {
        if (err) {
          this.log?.debug({ err: err.message }, 'serial port open failed');
          this.scheduleReopen();
          return resolve();
        }
        this.delay = this.opts.reconnectMinMs;
        port.once('close', (e?: Error) => this.onClose(port, e));
        this.watch(port);
        this.log?.info({ baudRate: this.baudRate }, 'serial port open');
        this.emit('open');
        resolve();
      });
    });
  }

  private watch(port: SerialPortStream): void {
    // Only real device nodes vanish; a mock binding's paths never exist on disk.
    const opened = nodeId(this.path);
    if (!opened) return;
    clearInterval(this.watchTimer);
    this.watchTimer = setInterval(() => {
      // Gone, or replaced by a new node under the same name (a pty pair remade, a re-enumerated adapter).
      if (this.port !== port || nodeId(this.path) === opened) return;
      this.port = undefined;
      port.destroy();
      this.onClose(port, new Error(`${this.path} disappeared`), true);
    }, this.opts.watchMs);
    this.watchTimer.unref();
  }

  private onClose(port: SerialPortStream, err?: Error, vanished = false): void {
    if (this.port !== port && !vanished) return;
    clearInterval(this.watchTimer);
    if (vanished) port.removeAllListeners('close');
    else this.port = undefined;
    this.log?.warn({ err: err?.message }, 'serial port closed');
    this.emit('close', err);
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) void this.open();
    }, this.delay);
    this.retryTimer.unref();
    this.delay = Math.min(this.delay * 2, this.opts.reconnectMaxMs);
  }
}

/** Identity of the device node behind a path (following links), or undefined if there is none. */
function nodeId(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.rdev}`;
  } catch {
    return undefined;
  }
}
