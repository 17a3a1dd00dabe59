import type { Logger } from 'pino';
import type { LampState, LightChannelHealth } from '../../protocols/index.ts';
import { HardwareError } from '../errors.ts';
import { HealthState } from '../health.ts';
import { ModbusMaster } from '../modbus/modbus-master.ts';
import { ProbeLoop } from '../probe-loop.ts';
import type { SerialLine } from '../serial/serial-line.ts';
import type { WarningLight } from './light.ts';
import { LightProgram, ProgrammedLight, type ApplyReason } from './light-program.ts';

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
 * writing all coils at once (function 0F) on each flash edge, which every relay board supports;
 * coil read-back (function 01) tells a lit lamp from a burnt one.
 */
export class ModbusLight extends ProgrammedLight implements WarningLight {
  readonly name: string;
  readonly channelCount: number;
  readonly health = new HealthState();
  readonly master: ModbusMaster;
  private readonly unit: number;
  private readonly coilBase: number;
  private readonly verifyFlash: boolean;
  private readonly log: Logger | undefined;
  protected readonly program: LightProgram;
  private readonly lamps: LampState[];
  private readonly probeLoop: ProbeLoop;
  private written: boolean[] | undefined;
  private started = false;

  constructor(
    readonly line: SerialLine,
    opts: ModbusLightOptions = {},
  ) {
    super();
    this.name = opts.name ?? 'light';
    this.unit = opts.unit ?? 1;
    this.channelCount = opts.channelCount ?? 4;
    this.coilBase = opts.coilBase ?? 0;
    this.verifyFlash = opts.verifyFlash ?? true;
    this.log = opts.logger?.child({ driver: this.name, unit: this.unit });
    this.master = new ModbusMaster(line, { timeoutMs: opts.timeoutMs, retries: opts.retries, logger: this.log });
    this.program = new LightProgram(
      this.channelCount,
      (bits, why) => this.write(bits, why),
      (e) => this.log?.debug({ err: (e as Error).message }, 'flash write failed'),
    );
    this.lamps = Array(this.channelCount).fill('unknown');
    this.health.on('change', (h) => this.log?.info({ health: h }, 'light controller health changed'));
    line.on('close', () => this.health.offline(new HardwareError('port_closed', `serial port ${line.path} closed`)));
    line.on('open', () => void this.resync());
    this.probeLoop = new ProbeLoop(
      opts.probeIntervalMs ?? 5000,
      () => line.isOpen && this.health.value.state === 'offline',
      () => this.resync(),
    );
  }

  /** Opens the port and probes the controller; an absent one leaves health offline and is re-probed. */
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
    this.program.halt();
    if (this.line.isOpen) await this.program.set('off').catch(() => undefined);
    this.master.close();
    await this.line.stop();
  }

  /** Read the coils back: a channel told to be lit that reads dark has an open lamp circuit. */
  async readLamps(): Promise<LightChannelHealth[]> {
    // Requests run in order, so the read sees the outputs of the last write queued before it.
    const expected = this.written ?? this.program.bits();
    const res = await this.master.request(this.unit, { fc: 0x01, address: this.coilBase, quantity: this.channelCount });
    if (!('bits' in res)) throw new HardwareError('bad_reply', 'coil read-back carried no bits');
    expected.forEach((lit, i) => {
      if (lit) this.lamps[i] = res.bits[i] ? 'ok' : 'open_circuit';
    });
    this.updateLampHealth();
    return this.program.modes.map((mode, i) => ({ channel: i + 1, mode, lamp: this.lamps[i] }));
  }

  private async write(bits: boolean[], why: ApplyReason): Promise<void> {
    this.written = bits;
    try {
      await this.master.request(this.unit, { fc: 0x0f, address: this.coilBase, values: bits });
      if (this.health.value.state === 'offline') this.health.ok();
    } catch (e) {
      this.health.offline(e);
      throw e;
    }
    if (why === 'flash_on' && this.verifyFlash) await this.readLamps();
  }

  private updateLampHealth(): void {
    const bad = this.lamps.flatMap((l, i) => (l === 'open_circuit' ? [i + 1] : []));
    if (bad.length)
      this.health.degraded(
        new HardwareError('lamp_open_circuit', `lamp open circuit on channel ${bad.join(', ')}`, this.name),
      );
    else this.health.ok();
  }

  /** After (re)connecting: confirm the controller answers, then re-assert what the lamps should do. */
  private async resync(): Promise<void> {
    try {
      await this.program.reapply();
      await this.readLamps();
    } catch (e) {
      this.health.offline(e);
    }
  }
}
