import { EventEmitter } from 'node:events';
import type { Board } from 'johnny-five';
import { HardwareError } from '../errors.ts';
import { HealthState } from '../health.ts';
import { Debouncer } from '../sensor/debouncer.ts';
import type { PresenceSensor } from '../sensor/presence-sensor.ts';
import type { FirmataBoard } from './firmata-board.ts';

export interface FirmataPresenceOptions {
  name?: string;
  pin: number;
  /** Most loop detectors and PIRs pull the line low when they see something. */
  activeLow?: boolean;
  /** Use the board's internal pull-up (open-collector outputs). */
  pullup?: boolean;
  debounceMs?: number;
  /** Present longer than this means a stuck sensor (or a parked vehicle): health degrades. */
  stuckAfterMs?: number;
  now?: () => Date;
}

const PIN_MODE = { input: 0x00, pullup: 0x0b } as const;

/** A presence sensor on a digital input of a Firmata board. */
export class FirmataPresenceSensor extends EventEmitter implements PresenceSensor {
  readonly name: string;
  readonly health = new HealthState();
  private readonly debouncer: Debouncer;
  private readonly now: () => Date;

  constructor(
    readonly board: FirmataBoard,
    private readonly opts: FirmataPresenceOptions,
  ) {
    super();
    this.name = opts.name ?? 'sensor';
    this.now = opts.now ?? (() => new Date());
    this.debouncer = new Debouncer(
      opts.debounceMs ?? 50,
      (present) => this.emit(present ? 'arrived' : 'left', { present, at: this.now() }),
      opts.stuckAfterMs ?? 10 * 60_000,
      (stuck) =>
        stuck
          ? this.health.degraded(
              new HardwareError(
                'device_error',
                `sensor on pin ${opts.pin} has been active for too long (stuck?)`,
                this.name,
              ),
            )
          : this.health.ok(),
    );
    board.on('ready', (b: Board) => this.attach(b));
    board.on('lost', () => this.health.offline(new HardwareError('port_closed', `board ${board.name} lost`)));
  }

  get present(): boolean {
    return this.debouncer.level;
  }

  async start(): Promise<void> {
    if (!this.board.ready) await this.board.start();
    else this.attach(this.board.board!);
  }

  async stop(): Promise<void> {
    this.debouncer.stop();
  }

  private attach(_b: Board): void {
    const io = this.board.io;
    if (!io) return;
    this.board.inputPins.add(this.opts.pin);
    io.pinMode(this.opts.pin, this.opts.pullup ? PIN_MODE.pullup : PIN_MODE.input);
    io.digitalRead(this.opts.pin, (v) => this.debouncer.input(this.opts.activeLow ? v === 0 : v === 1));
    this.health.ok();
  }
}
