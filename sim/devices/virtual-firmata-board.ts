import { EventEmitter } from 'node:events';
import type { SerialDeviceModel } from './serial-device.ts';
import { FirmataFramer } from './firmata-framer.ts';

const MODE = { input: 0x00, output: 0x01, pullup: 0x0b } as const;

export interface VirtualFirmataOptions {
  /** Digital pins, Arduino Uno style: 0–19 (14–19 double as A0–A5). */
  pinCount?: number;
  firmware?: string;
}

export interface PinChange {
  pin: number;
  value: 0 | 1;
  at: number;
}

/**
 * A StandardFirmata board (2.5) as johnny-five sees it over a serial line: answers version,
 * firmware, capability and analog-mapping queries, drives digital outputs, reports digital inputs.
 * `setInput(pin, v)` is the simulator's hand on a presence sensor.
 * Emits 'output' (PinChange) when the host drives an output pin.
 */
export class VirtualFirmataBoard extends EventEmitter implements SerialDeviceModel {
  readonly kind = 'firmata';
  readonly modes: number[];
  readonly values: (0 | 1)[];
  readonly outputs: PinChange[] = [];
  private readonly reporting = new Set<number>();
  private readonly firmware: string;

  constructor(opts: VirtualFirmataOptions = {}) {
    super();
    const n = opts.pinCount ?? 20;
    this.modes = Array(n).fill(MODE.output);
    this.values = Array(n).fill(0);
    this.firmware = opts.firmware ?? 'StandardFirmata.ino';
  }

  createFramer() {
    return new FirmataFramer();
  }

  /** Drive an input pin as a sensor would; reported to the host if it asked for that port. */
  setInput(pin: number, value: boolean): void {
    this.values[pin] = value ? 1 : 0;
    const port = pin >> 3;
    if (this.reporting.has(port)) this.sendPort(port);
  }

  /** Announce version and firmware as a freshly reset Arduino does. */
  announce(): void {
    this.send([0xf9, 2, 5]);
    this.sendFirmware();
  }

  receive(m: Buffer): void {
    const cmd = m[0];
    const hi = cmd < 0xf0 ? cmd & 0xf0 : cmd;
    if (cmd === 0xf9) return this.send([0xf9, 2, 5]);
    if (cmd === 0xff) return this.reset();
    if (cmd === 0xf4) return this.setMode(m[1], m[2]);
    if (cmd === 0xf5) return this.writePin(m[1], m[2] ? 1 : 0);
    if (hi === 0x90) return this.writePort(cmd & 0x0f, m[1] | (m[2] << 7));
    if (hi === 0xd0) {
      const port = cmd & 0x0f;
      if (m[1]) {
        this.reporting.add(port);
        this.sendPort(port);
      } else this.reporting.delete(port);
      return;
    }
    if (cmd === 0xf0) return this.sysex(m[1], m.subarray(2, -1));
  }

  private sysex(id: number, data: Buffer): void {
    switch (id) {
      case 0x79:
        return this.sendFirmware();
      case 0x6b: {
        const body: number[] = [0xf0, 0x6c];
        for (let p = 0; p < this.modes.length; p++) body.push(MODE.input, 1, MODE.output, 1, MODE.pullup, 1, 0x7f);
        return this.send([...body, 0xf7]);
      }
      case 0x69: {
        const body: number[] = [0xf0, 0x6a];
        for (let p = 0; p < this.modes.length; p++) body.push(p >= 14 ? p - 14 : 0x7f);
        return this.send([...body, 0xf7]);
      }
      case 0x6d: {
        const pin = data[0];
        return this.send([0xf0, 0x6e, pin, this.modes[pin] ?? 0, this.values[pin] ?? 0, 0xf7]);
      }
      default:
        return; // sampling interval and the rest: accepted silently, as StandardFirmata does
    }
  }

  private setMode(pin: number, mode: number): void {
    if (pin >= this.modes.length) return;
    this.modes[pin] = mode;
    if (mode === MODE.pullup) this.values[pin] = 1;
  }

  private writePin(pin: number, value: 0 | 1): void {
    if (pin >= this.values.length || this.modes[pin] !== MODE.output) return;
    if (this.values[pin] === value) return;
    this.values[pin] = value;
    const change = { pin, value, at: performance.now() };
    this.outputs.push(change);
    if (this.outputs.length > 10_000) this.outputs.splice(0, 5_000);
    this.emit('output', change);
  }

  private writePort(port: number, mask: number): void {
    for (let i = 0; i < 8; i++) this.writePin(port * 8 + i, ((mask >> i) & 1) as 0 | 1);
  }

  private sendPort(port: number): void {
    let mask = 0;
    for (let i = 0; i < 8; i++) {
      const pin = port * 8 + i;
      if (pin < this.values.length && this.modes[pin] !== MODE.output && this.values[pin]) mask |= 1 << i;
    }
    this.send([0x90 | port, mask & 0x7f, (mask >> 7) & 0x7f]);
  }

  private sendFirmware(): void {
    const name = [...Buffer.from(this.firmware, 'ascii')].flatMap((c) => [c & 0x7f, c >> 7]);
    this.send([0xf0, 0x79, 2, 5, ...name, 0xf7]);
  }

  private reset(): void {
    this.reporting.clear();
    this.modes.fill(MODE.output);
    this.values.fill(0);
  }

  private send(bytes: number[]): void {
    this.emit('send', Buffer.from(bytes));
  }
}
