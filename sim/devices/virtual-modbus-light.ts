import { EventEmitter } from 'node:events';
import { modbus } from '../../protocols/index.ts';
import type { SerialDeviceModel } from './serial-device.ts';

export interface VirtualModbusLightOptions {
  unit?: number;
  channels?: number;
  /** Holding registers: 0 = firmware version, 1 = channel count, 2.. = lamp current in mA per channel. */
  lampCurrentMa?: number;
  now?: () => number;
}

export interface CoilChange {
  at: number;
  coils: boolean[];
}

/**
 * A Modbus RTU relay/flash controller as cheap 4/8-channel boards behave: coils 0…N−1 switch
 * the lamps (05/0F), read back (01) as the lamp's real state — a burnt lamp reads dark.
 * Emits 'coils' (CoilChange) whenever the outputs change, so tests and people can watch it flash.
 */
export class VirtualModbusLight extends EventEmitter implements SerialDeviceModel {
  readonly kind = 'modbus-light';
  unit: number;
  readonly coils: boolean[];
  readonly burnt = new Set<number>();
  readonly history: CoilChange[] = [];
  requests = 0;
  private readonly lampCurrentMa: number;
  private readonly now: () => number;

  constructor(opts: VirtualModbusLightOptions = {}) {
    super();
    this.unit = opts.unit ?? 1;
    this.coils = Array(opts.channels ?? 8).fill(false);
    this.lampCurrentMa = opts.lampCurrentMa ?? 350;
    this.now = opts.now ?? (() => performance.now());
  }

  createFramer(baudRate: number) {
    return new modbus.ModbusFramer({ role: 'request', baudRate });
  }

  /** Lamp state as a current sensor would see it: switched on and not burnt. */
  lampLit(channel: number): boolean {
    return this.coils[channel - 1] === true && !this.burnt.has(channel);
  }

  burnOut(channel: number, burnt = true): void {
    if (burnt) this.burnt.add(channel);
    else this.burnt.delete(channel);
  }

  receive(frame: Buffer): void {
    const reply = this.handle(frame);
    if (reply) this.emit('send', reply);
  }

  /** The device logic: one request frame in, the reply frame (or nothing) out. */
  handle(frame: Buffer): Buffer | undefined {
    const unit = frame[0];
    if (unit !== this.unit && unit !== 0) return undefined;
    this.requests++;
    const fc = frame[1];
    const d = modbus.decodeRequest(frame);
    const reply = (res: modbus.ModbusResponse) => (unit === 0 ? undefined : modbus.encodeResponse(this.unit, res));
    if (!d.ok)
      return reply({
        fc,
        exception:
          d.error.code === 'unknown_function' ? modbus.EXCEPTION.illegalFunction : modbus.EXCEPTION.illegalDataValue,
      });
    const req = d.value.pdu;
    const n = this.coils.length;
    const outOfRange = (addr: number, count: number) => addr + count > n;
    switch (req.fc) {
      case 0x01:
        if (req.quantity < 1 || outOfRange(req.address, req.quantity))
          return reply({ fc, exception: modbus.EXCEPTION.illegalDataAddress });
        return reply({
          fc: 0x01,
          bits: Array.from({ length: req.quantity }, (_, i) => this.lampLit(req.address + i + 1)),
        });
      case 0x05:
        if (outOfRange(req.address, 1)) return reply({ fc, exception: modbus.EXCEPTION.illegalDataAddress });
        if (req.value !== modbus.COIL_ON && req.value !== modbus.COIL_OFF)
          return reply({ fc, exception: modbus.EXCEPTION.illegalDataValue });
        this.setCoils(req.address, [req.value === modbus.COIL_ON]);
        return reply({ fc: 0x05, address: req.address, value: req.value });
      case 0x0f:
        if (outOfRange(req.address, req.values.length))
          return reply({ fc, exception: modbus.EXCEPTION.illegalDataAddress });
        this.setCoils(req.address, req.values);
        return reply({ fc: 0x0f, address: req.address, quantity: req.values.length });
      case 0x03: {
        const regs = this.registers();
        if (req.quantity < 1 || req.address + req.quantity > regs.length)
          return reply({ fc, exception: modbus.EXCEPTION.illegalDataAddress });
        return reply({ fc: 0x03, values: regs.slice(req.address, req.address + req.quantity) });
      }
      case 0x06:
        // Register 100 holds the slave address, as on boards whose address is set over the bus.
        if (req.address !== 100 || req.value < 1 || req.value > 247)
          return reply({ fc, exception: modbus.EXCEPTION.illegalDataAddress });
        {
          const r = reply({ fc: 0x06, address: req.address, value: req.value });
          this.unit = req.value;
          return r;
        }
      default:
        return reply({ fc, exception: modbus.EXCEPTION.illegalFunction });
    }
  }

  private registers(): number[] {
    return [0x0102, this.coils.length, ...this.coils.map((_, i) => (this.lampLit(i + 1) ? this.lampCurrentMa : 0))];
  }

  private setCoils(address: number, values: boolean[]): void {
    let changed = false;
    values.forEach((v, i) => {
      if (this.coils[address + i] !== v) changed = true;
      this.coils[address + i] = v;
    });
    if (!changed) return;
    const change = { at: this.now(), coils: [...this.coils] };
    this.history.push(change);
    if (this.history.length > 10_000) this.history.splice(0, 5_000);
    this.emit('coils', change);
  }
}
