import type { Logger } from 'pino';
import { modbus } from '../../protocols/index.ts';
import { HardwareError } from '../errors.ts';
import type { SerialLine } from '../serial/serial-line.ts';

type Request = modbus.ModbusRequest;
type Response = modbus.ModbusResponse;

export interface ModbusMasterOptions {
  /** Time to wait for a reply before retrying (cheap boards answer in 10–50 ms at 9600 baud). */
  timeoutMs?: number;
  retries?: number;
  logger?: Logger;
}

export interface ModbusMasterStats {
  requests: number;
  replies: number;
  timeouts: number;
  crcErrors: number;
  exceptions: number;
  noiseBytes: number;
}

interface Pending {
  unit: number;
  fc: number;
  resolve: (r: Response) => void;
  timer: NodeJS.Timeout;
}

/**
 * Modbus RTU master over one SerialLine. RS-485 is half duplex with one transaction at a time,
 * so requests queue; each waits for its reply (same unit and function) or times out and retries.
 */
export class ModbusMaster {
  readonly stats: ModbusMasterStats = {
    requests: 0,
    replies: 0,
    timeouts: 0,
    crcErrors: 0,
    exceptions: 0,
    noiseBytes: 0,
  };
  private readonly framer: modbus.ModbusFramer;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger | undefined;
  private readonly onData = (d: Buffer) => this.framer.write(d);

  constructor(
    readonly line: SerialLine,
    opts: ModbusMasterOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 200;
    this.retries = opts.retries ?? 2;
    this.log = opts.logger;
    this.framer = new modbus.ModbusFramer({ role: 'response', baudRate: line.baudRate });
    this.framer.on('data', (f: Buffer) => this.onFrame(f));
    this.framer.on('discard', (d: modbus.Discard) => {
      if (d.reason === 'bad_crc') this.stats.crcErrors++;
      else this.stats.noiseBytes += d.bytes;
    });
    line.on('data', this.onData);
  }

  /** Detach from the line; pending requests fail. */
  close(): void {
    this.line.off('data', this.onData);
    this.framer.destroy();
    if (this.pending) {
      clearTimeout(this.pending.timer);
      this.pending = undefined;
    }
  }

  /** Send one request and resolve with the reply PDU; device exceptions reject with code device_exception. */
  request(unit: number, req: Request, opts: { timeoutMs?: number; retries?: number } = {}): Promise<Response> {
    if (unit < 1 || unit > 247)
      return Promise.reject(new RangeError(`unit ${unit} is outside 1–247 (use broadcast() for 0)`));
    return this.enqueue(() => this.transact(unit, req, opts.timeoutMs ?? this.timeoutMs, opts.retries ?? this.retries));
  }

  /** Broadcast to unit 0: nobody replies, so wait the turnaround delay the spec asks for. */
  broadcast(req: Request, turnaroundMs = 100): Promise<void> {
    return this.enqueue(async () => {
      await this.line.write(modbus.encodeRequest(0, req));
      await new Promise((r) => setTimeout(r, turnaroundMs));
    });
  }

  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async transact(unit: number, req: Request, timeoutMs: number, retries: number): Promise<Response> {
    const frame = modbus.encodeRequest(unit, req);
    let lastErr: HardwareError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      this.stats.requests++;
      const crcBefore = this.stats.crcErrors;
      try {
        const res = await this.once(unit, req.fc, frame, timeoutMs);
        if ('exception' in res) {
          this.stats.exceptions++;
          const name = modbus.EXCEPTION_NAMES[res.exception] ?? `code ${res.exception}`;
          throw new HardwareError(
            'device_exception',
            `unit ${unit} refused function 0x${req.fc.toString(16)}: ${name}`,
          );
        }
        return res;
      } catch (e) {
        if (e instanceof HardwareError && e.code !== 'no_reply') throw e;
        const crcSeen = this.stats.crcErrors > crcBefore;
        lastErr = crcSeen
          ? new HardwareError('crc_error', `unit ${unit} replied with a bad CRC (${attempt + 1} attempts)`)
          : new HardwareError(
              'no_reply',
              `unit ${unit} did not reply within ${timeoutMs} ms (${attempt + 1} attempts)`,
            );
        this.log?.debug({ unit, fc: req.fc, attempt, code: lastErr.code }, 'modbus retry');
      }
    }
    throw lastErr as HardwareError;
  }

  private async once(unit: number, fc: number, frame: Buffer, timeoutMs: number): Promise<Response> {
    const reply = new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.stats.timeouts++;
        reject(new HardwareError('no_reply', `no reply from unit ${unit}`));
      }, timeoutMs);
      this.pending = { unit, fc, resolve, timer };
    });
    // A slow write can outlast the timeout: the rejection is returned below, not unhandled.
    reply.catch(() => undefined);
    try {
      await this.line.write(frame);
    } catch (e) {
      if (this.pending) clearTimeout(this.pending.timer);
      this.pending = undefined;
      throw e;
    }
    return reply;
  }

  private onFrame(f: Buffer): void {
    const p = this.pending;
    const decoded = modbus.decodeResponse(f);
    if (!decoded.ok || !p) return;
    const { unit, pdu } = decoded.value;
    if (unit !== p.unit || pdu.fc !== p.fc) return;
    clearTimeout(p.timer);
    this.pending = undefined;
    this.stats.replies++;
    p.resolve(pdu);
  }
}
