import five, { type Board, type Led } from 'johnny-five';
import type { LampState, LightChannelHealth } from '../../protocols/index.ts';
import { HardwareError } from '../errors.ts';
import type { HealthState } from '../health.ts';
import type { WarningLight } from '../light/light.ts';
import { LightProgram, ProgrammedLight } from '../light/light-program.ts';
import { withTimeout } from '../timeout.ts';
import type { FirmataBoard } from './firmata-board.ts';

export interface FirmataLightOptions {
  name?: string;
  /** Output pin of each channel (a relay or MOSFET driving the lamp). */
  pins: number[];
}

/**
 * Warning light on GPIO pins of a Firmata board, one johnny-five Led per channel. The strobe
 * comes from the shared LightProgram rather than Led.blink so the duty cycle is honoured.
 * A plain GPIO has no lamp sense: read-back checks the board still holds the outputs it was
 * told (a board that reset itself has not) and re-applies them, but lamps stay 'unknown'.
 */
export class FirmataLight extends ProgrammedLight implements WarningLight {
  readonly name: string;
  readonly channelCount: number;
  private leds: Led[] = [];
  protected readonly program: LightProgram;
  private readonly pins: number[];

  constructor(
    readonly board: FirmataBoard,
    opts: FirmataLightOptions,
  ) {
    super();
    if (!opts.pins.length) throw new RangeError('a Firmata light needs at least one pin');
    this.name = opts.name ?? 'light';
    this.pins = opts.pins;
    this.channelCount = opts.pins.length;
    this.program = new LightProgram(this.channelCount, async (bits) => this.write(bits));
    board.on('ready', (b: Board) => this.attach(b));
    board.on('lost', () => (this.leds = []));
  }

  get health(): HealthState {
    return this.board.health;
  }

  async start(): Promise<void> {
    if (!this.board.ready) await this.board.start();
  }

  async stop(): Promise<void> {
    this.program.halt();
    if (this.leds.length) await this.program.set('off').catch(() => undefined);
  }

  async readLamps(): Promise<LightChannelHealth[]> {
    const io = this.board.io;
    if (!io || !this.leds.length) throw new HardwareError('not_ready', `board ${this.board.name} is not ready`);
    const steady = this.program.modes.map((m) => m !== 'flash');
    const expected = this.program.bits();
    const queries = Promise.all(
      this.pins.map((pin) => new Promise<void>((resolve) => io.queryPinState(pin, () => resolve()))),
    );
    await withTimeout(queries, 1000, `board ${this.board.name} did not report its pin states`);
    const lost = this.pins.some((pin, i) => steady[i] && (io.pins[pin]?.state === 1) !== expected[i]);
    if (lost) await this.program.reapply();
    const lamp: LampState = 'unknown';
    return this.program.modes.map((mode, i) => ({ channel: i + 1, mode, lamp }));
  }

  private attach(b: Board): void {
    this.leds = this.pins.map((pin) => new five.Led({ pin, board: b }));
    void this.program.reapply().catch(() => undefined);
  }

  private write(bits: boolean[]): void {
    if (!this.leds.length) throw new HardwareError('not_ready', `board ${this.board.name} is not ready`);
    bits.forEach((on, i) => (on ? this.leds[i].on() : this.leds[i].off()));
  }
}
