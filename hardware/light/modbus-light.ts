import type { Logger } from 'pino';
import { modbus, type LampState, type LightChannelHealth, type LightMode } from '../../protocols/index.ts';
import { HardwareError } from '../errors.ts';
import { HealthState } from '../health.ts';
import { ModbusMaster } from '../modbus/modbus-master.ts';
import { ProbeLoop } from '../probe-loop.ts';
import type { SerialLine } from '../serial/serial-line.ts';
import { checkPattern, resolveChannels, type FlashPattern, type LightCommand, type WarningLight } from './light.ts';

export interface ModbusLightOptions {
  name?: string;
  /** Slave address; cheap relay boards ship as 1. */
  unit?: number;
  channelCount?: number;
  /** Coil of channel 1; channel k uses coil coilBase + k − 1. */
  coilBase?: number;
  timeoutMs?: number;
  retries?: number;
  /** Read the lamps back on every lit phase of a flash, so a lamp that burns out mid-shift is seen. */
  verifyFlash?: boolean;
  /** How often to look for an offline controller on an open port. */
  probeIntervalMs?: number;
  logger?: Logger;
}

/**
 * A flashing warning light on an RS-485 Modbus RTU relay/flash controller. The strobe is made by
 * the driver writing all coils at once (function 0F) on a timer, which every relay board supports;
 * coil read-back (function 01) tells a lit lamp from a burnt one.
 */
export class ModbusLight implements WarningLight {
  readonly name: string;
  readonly channelCount: number;
  readonly health = new HealthState();
  readonly master: ModbusMaster;
  private readonly unit: number;
  private readonly coilBase: number;
  private readonly verifyFlash: boolean;
  private readonly log: Logger | undefined;
  private readonly modes: LightMode[];
  private readonly lamps: LampState[];
  private pattern: FlashPattern = checkPattern({});
  private flashStart = 0;
  private flashTimer: NodeJS.Timeout | undefined;
  private readonly durationTimers = new Map<number, NodeJS.Timeout>();
  private written: boolean[] | undefined;
  private started = false;
  private readonly probeLoop: ProbeLoop;

  constructor(
    readonly line: SerialLine,
    opts: ModbusLightOptions = {},
  ) {
    this.name = opts.name ?? 'light';
    this.unit = opts.unit ?? 1;
    this.channelCount = opts.channelCount ?? 4;
    this.coilBase = opts.coilBase ?? 0;
    this.verifyFlash = opts.verifyFlash ?? true;
    this.log = opts.logger?.child({ driver: this.name, unit: this.unit });
    this.master = new ModbusMaster(line, { timeoutMs: opts.timeoutMs, retries: opts.retries, logger: this.log });
    this.modes = Array(this.channelCount).fill('off');
    this.lamps = Array(this.channelCount).fill('unknown');
    this.health.on('change', (h) => this.log?.info({ health: h }, 'light controller health changed'));
    line.on('close', () => this.health.offline(new HardwareError('port_closed', `serial port ${line.path} closed`)));
    line.on('open', () => void this.resync());
    this.probeLoop = new ProbeLoop(opts.probeIntervalMs ?? 5000, () => line.isOpen && this.health.value.state === 'offline', () => this.resync());
  }

  /** Opens the port (if this driver owns it) and probes the controller; an absent one leaves health offline. */
  async start(): Promise<void> {
    this.started = true;
    this.probeLoop.start();
    await this.line.start();
    if (this.line.isOpen) await this.resync();
    else this.health.offline(new HardwareError('port_closed', `serial port ${this.line.path} is not open`));
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.probeLoop.stop();
    this.stopFlashLoop();
    for (const t of this.durationTimers.values()) clearTimeout(t);
    this.durationTimers.clear();
    if (this.line.isOpen) {
      this.modes.fill('off');
      await this.write().catch(() => undefined);
    }
    this.master.close();
    await this.line.stop();
  }

  on(cmd: LightCommand = {}): Promise<void> {
    return this.set('on', cmd);
  }

  off(cmd: LightCommand = {}): Promise<void> {
    return this.set('off', cmd);
  }

  flash(cmd: LightCommand & Partial<FlashPattern> = {}): Promise<void> {
    const pattern = checkPattern({ periodMs: cmd.periodMs ?? this.pattern.periodMs, duty: cmd.duty ?? this.pattern.duty });
    const changed = pattern.periodMs !== this.pattern.periodMs || pattern.duty !== this.pattern.duty;
    this.pattern = pattern;
    if (changed || !this.flashTimer) this.flashStart = performance.now();
    return this.set('flash', cmd);
  }

  /** Read the coils back: a channel told to be lit that reads dark has an open lamp circuit. */
  async readLamps(): Promise<LightChannelHealth[]> {
    const expected = this.written ?? this.bits();
    const res = await this.master.request(this.unit, { fc: 0x01, address: this.coilBase, quantity: this.channelCount });
    if (!('bits' in res)) throw new HardwareError('bad_reply', 'coil read-back carried no bits');
    expected.forEach((lit, i) => {
      if (lit) this.lamps[i] = res.bits[i] ? 'ok' : 'open_circuit';
    });
    this.updateLampHealth();
    return this.modes.map((mode, i) => ({ channel: i + 1, mode, lamp: this.lamps[i] }));
  }

  private async set(mode: LightMode, cmd: LightCommand): Promise<void> {
    const channels = resolveChannels(cmd.channels, this.channelCount);
    for (const c of channels) {
      this.modes[c - 1] = mode;
      clearTimeout(this.durationTimers.get(c));
      this.durationTimers.delete(c);
      if (cmd.durationMs !== undefined && mode !== 'off') {
        const t = setTimeout(() => void this.set('off', { channels: [c] }).catch(() => undefined), cmd.durationMs);
        t.unref();
        this.durationTimers.set(c, t);
      }
    }
    if (this.modes.includes('flash')) this.ensureFlashLoop();
    else this.stopFlashLoop();
    await this.write();
  }

  /** Coil states for this instant: steady channels as set, flashing ones by the shared phase. */
  private bits(now = performance.now()): boolean[] {
    const lit = this.flashPhaseLit(now);
    return this.modes.map((m) => m === 'on' || (m === 'flash' && lit));
  }

  private flashPhaseLit(now: number): boolean {
    const t = (now - this.flashStart) % this.pattern.periodMs;
    return t < this.pattern.periodMs * this.pattern.duty;
  }

  private async write(): Promise<void> {
    const bits = this.bits();
    this.written = bits;
    try {
      await this.master.request(this.unit, { fc: 0x0f, address: this.coilBase, values: bits });
      if (this.health.value.state === 'offline') this.health.ok();
    } catch (e) {
      this.health.offline(e);
      throw e;
    }
  }

  private ensureFlashLoop(): void {
    if (this.flashTimer) return;
    const tick = () => {
      const now = performance.now();
      const { periodMs, duty } = this.pattern;
      const t = (now - this.flashStart) % periodMs;
      const lit = t < periodMs * duty;
      // Next edge measured from the flash start, so timer lateness never accumulates into drift.
      const wait = lit ? periodMs * duty - t : periodMs - t;
      this.flashTimer = setTimeout(tick, Math.max(1, wait));
      const bits = this.bits(now);
      if (this.written && bits.every((b, i) => b === this.written![i])) return;
      void this.write()
        .then(() => (lit && this.verifyFlash ? this.readLamps() : undefined))
        .catch((e) => this.log?.debug({ err: (e as Error).message }, 'flash write failed'));
    };
    this.flashTimer = setTimeout(tick, 0);
  }

  private stopFlashLoop(): void {
    clearTimeout(this.flashTimer);
    this.flashTimer = undefined;
  }

  private updateLampHealth(): void {
    const bad = this.lamps.flatMap((l, i) => (l === 'open_circuit' ? [i + 1] : []));
    if (bad.length) {
      this.health.degraded(new HardwareError('lamp_open_circuit', `lamp open circuit on channel ${bad.join(', ')}`, this.name));
    } else {
      this.health.ok();
    }
  }

  /** After (re)connecting: confirm the controller answers, then re-assert what the lamps should do. */
  private async resync(): Promise<void> {
    try {
      this.written = undefined;
      await this.write();
      await this.readLamps();
    } catch (e) {
      this.health.offline(e);
    }
  }
}
