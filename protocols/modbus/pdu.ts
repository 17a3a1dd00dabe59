import { fail, ok, type Result } from '../result.ts';
import { crcValid, withCrc } from './crc.ts';

/** Function codes this project speaks (the ones cheap relay/flash controllers implement). */
export const FC = {
  readCoils: 0x01,
  readHoldingRegisters: 0x03,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
  writeMultipleCoils: 0x0f,
  writeMultipleRegisters: 0x10,
} as const;
export type FunctionCode = (typeof FC)[keyof typeof FC];
const KNOWN_FC = new Set<number>(Object.values(FC));
export const isKnownFunction = (fc: number): fc is FunctionCode => KNOWN_FC.has(fc);

export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;

export const EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  slaveDeviceFailure: 0x04,
  acknowledge: 0x05,
  busy: 0x06,
} as const;
export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge',
  6: 'slave device busy',
};

export const MAX_FRAME = 256;
export const MAX_READ_COILS = 2000;
export const MAX_READ_REGISTERS = 125;
export const MAX_WRITE_COILS = 1968;
export const MAX_WRITE_REGISTERS = 123;

export type ModbusRequest =
  | { fc: 0x01; address: number; quantity: number }
  | { fc: 0x03; address: number; quantity: number }
  /** `value` is the raw word: 0xFF00 on, 0x0000 off (some boards want 0x0100, see their profile). */
  | { fc: 0x05; address: number; value: number }
  | { fc: 0x06; address: number; value: number }
  | { fc: 0x0f; address: number; values: boolean[] }
  | { fc: 0x10; address: number; values: number[] };

export type ModbusResponse =
  /** All bits of the reply's bytes; the caller trims to the quantity it asked for. */
  | { fc: 0x01; bits: boolean[] }
  | { fc: 0x03; values: number[] }
  | { fc: 0x05 | 0x06; address: number; value: number }
  | { fc: 0x0f | 0x10; address: number; quantity: number }
  | { fc: number; exception: number };

export interface Frame<P> {
  unit: number;
  pdu: P;
}

const u16 = (n: number, what: string): number => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`${what} ${n} is not a 16-bit value`);
  return n;
};

function packBits(bits: boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) out[i >> 3] |= 1 << (i & 7);
  });
  return out;
}

function unpackBits(bytes: Uint8Array, count = bytes.length * 8): boolean[] {
  const out: boolean[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = ((bytes[i >> 3] >> (i & 7)) & 1) === 1;
  return out;
}

function checkUnit(unit: number): void {
  if (!Number.isInteger(unit) || unit < 0 || unit > 247) throw new RangeError(`slave address ${unit} is outside 0–247`);
}

export function encodeRequest(unit: number, req: ModbusRequest): Buffer {
  checkUnit(unit);
  let body: Buffer;
  switch (req.fc) {
    case 0x01:
    case 0x03: {
      const max = req.fc === 0x01 ? MAX_READ_COILS : MAX_READ_REGISTERS;
      if (req.quantity < 1 || req.quantity > max) throw new RangeError(`quantity ${req.quantity} is outside 1–${max}`);
      body = Buffer.from([unit, req.fc, 0, 0, 0, 0]);
      body.writeUInt16BE(u16(req.address, 'address'), 2);
      body.writeUInt16BE(req.quantity, 4);
      break;
    }
    case 0x05:
    case 0x06:
      body = Buffer.from([unit, req.fc, 0, 0, 0, 0]);
      body.writeUInt16BE(u16(req.address, 'address'), 2);
      body.writeUInt16BE(u16(req.value, 'value'), 4);
      break;
    case 0x0f: {
      if (req.values.length < 1 || req.values.length > MAX_WRITE_COILS)
        throw new RangeError(`coil count ${req.values.length} is outside 1–${MAX_WRITE_COILS}`);
      const bits = packBits(req.values);
      body = Buffer.alloc(7 + bits.length);
      body[0] = unit;
      body[1] = req.fc;
      body.writeUInt16BE(u16(req.address, 'address'), 2);
      body.writeUInt16BE(req.values.length, 4);
      body[6] = bits.length;
      bits.copy(body, 7);
      break;
    }
    case 0x10: {
      if (req.values.length < 1 || req.values.length > MAX_WRITE_REGISTERS)
        throw new RangeError(`register count ${req.values.length} is outside 1–${MAX_WRITE_REGISTERS}`);
      body = Buffer.alloc(7 + req.values.length * 2);
      body[0] = unit;
      body[1] = req.fc;
      body.writeUInt16BE(u16(req.address, 'address'), 2);
      body.writeUInt16BE(req.values.length, 4);
      body[6] = req.values.length * 2;
      req.values.forEach((v, i) => body.writeUInt16BE(u16(v, 'register value'), 7 + i * 2));
      break;
    }
  }
  return withCrc(body);
}

export function encodeResponse(unit: number, res: ModbusResponse): Buffer {
  checkUnit(unit);
  let body: Buffer;
  if ('exception' in res) {
    body = Buffer.from([unit, (res.fc | 0x80) & 0xff, res.exception]);
  } else {
    switch (res.fc) {
      case 0x01: {
        const bits = packBits(res.bits);
        body = Buffer.concat([Buffer.from([unit, res.fc, bits.length]), bits]);
        break;
      }
      case 0x03:
        body = Buffer.alloc(3 + res.values.length * 2);
        body[0] = unit;
        body[1] = res.fc;
        body[2] = res.values.length * 2;
        res.values.forEach((v, i) => body.writeUInt16BE(u16(v, 'register value'), 3 + i * 2));
        break;
      case 0x05:
      case 0x06:
        body = Buffer.from([unit, res.fc, 0, 0, 0, 0]);
        body.writeUInt16BE(u16(res.address, 'address'), 2);
        body.writeUInt16BE(u16(res.value, 'value'), 4);
        break;
      case 0x0f:
      case 0x10:
        body = Buffer.from([unit, res.fc, 0, 0, 0, 0]);
        body.writeUInt16BE(u16(res.address, 'address'), 2);
        body.writeUInt16BE(u16(res.quantity, 'quantity'), 4);
        break;
    }
  }
  return withCrc(body);
}

function frameHead(buf: Uint8Array, min: number): Result<{ unit: number; fc: number; view: Buffer }> {
  if (buf.length < min) return fail('bad_length', `frame of ${buf.length} bytes is shorter than ${min}`);
  if (buf.length > MAX_FRAME) return fail('bad_length', `frame of ${buf.length} bytes exceeds ${MAX_FRAME}`);
  if (!crcValid(buf)) return fail('bad_crc', `CRC mismatch in frame ${Buffer.from(buf).toString('hex')}`);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  return ok({ unit: buf[0], fc: buf[1], view });
}

const expectLen = (view: Buffer, n: number, what: string): Result<null> =>
  view.length === n ? ok(null) : fail('bad_length', `${what} frame must be ${n} bytes, got ${view.length}`);

/** Decode a complete request frame (as a slave receives it). */
export function decodeRequest(buf: Uint8Array): Result<Frame<ModbusRequest>> {
  const h = frameHead(buf, 4);
  if (!h.ok) return h;
  const { unit, fc, view } = h.value;
  if (!isKnownFunction(fc))
    return fail('unknown_function', `function 0x${fc.toString(16).padStart(2, '0')} is not supported`);
  const address = view.length >= 6 ? view.readUInt16BE(2) : 0;
  switch (fc) {
    case 0x01:
    case 0x03:
    case 0x05:
    case 0x06: {
      const len = expectLen(view, 8, `function 0x0${fc.toString(16)} request`);
      if (!len.ok) return len;
      const word = view.readUInt16BE(4);
      if (fc === 0x01 || fc === 0x03) return ok({ unit, pdu: { fc, address, quantity: word } });
      return ok({ unit, pdu: { fc, address, value: word } });
    }
    case 0x0f:
    case 0x10: {
      if (view.length < 9) return fail('bad_length', `function 0x${fc.toString(16)} request too short`);
      const quantity = view.readUInt16BE(4);
      const byteCount = view[6];
      const len = expectLen(view, 9 + byteCount, `function 0x${fc.toString(16)} request`);
      if (!len.ok) return len;
      const data = view.subarray(7, 7 + byteCount);
      if (fc === 0x0f) {
        if (byteCount !== Math.ceil(quantity / 8))
          return fail('bad_frame', `byte count ${byteCount} does not fit ${quantity} coils`);
        return ok({ unit, pdu: { fc, address, values: unpackBits(data, quantity) } });
      }
      if (byteCount !== quantity * 2)
        return fail('bad_frame', `byte count ${byteCount} does not fit ${quantity} registers`);
      const values = Array.from({ length: quantity }, (_, i) => data.readUInt16BE(i * 2));
      return ok({ unit, pdu: { fc, address, values } });
    }
  }
}

/** Decode a complete response frame (as a master receives it). */
export function decodeResponse(buf: Uint8Array): Result<Frame<ModbusResponse>> {
  const h = frameHead(buf, 5);
  if (!h.ok) return h;
  const { unit, fc, view } = h.value;
  if (fc & 0x80) {
    const len = expectLen(view, 5, 'exception');
    if (!len.ok) return len;
    return ok({ unit, pdu: { fc: fc & 0x7f, exception: view[2] } });
  }
  if (!isKnownFunction(fc))
    return fail('unknown_function', `function 0x${fc.toString(16).padStart(2, '0')} is not supported`);
  switch (fc) {
    case 0x01:
    case 0x03: {
      const byteCount = view[2];
      const len = expectLen(view, 5 + byteCount, `function 0x0${fc} response`);
      if (!len.ok) return len;
      const data = view.subarray(3, 3 + byteCount);
      if (fc === 0x01) return ok({ unit, pdu: { fc, bits: unpackBits(data) } });
      if (byteCount % 2) return fail('bad_frame', `odd byte count ${byteCount} for registers`);
      return ok({
        unit,
        pdu: { fc, values: Array.from({ length: byteCount / 2 }, (_, i) => data.readUInt16BE(i * 2)) },
      });
    }
    default: {
      const len = expectLen(view, 8, `function 0x${fc.toString(16)} response`);
      if (!len.ok) return len;
      const a = view.readUInt16BE(2);
      const w = view.readUInt16BE(4);
      if (fc === 0x05 || fc === 0x06) return ok({ unit, pdu: { fc, address: a, value: w } });
      return ok({ unit, pdu: { fc, address: a, quantity: w } });
    }
  }
}

/**
 * Length of the frame starting at buf[0], from its function code and (for variable frames) its
 * byte count; 0 when more bytes are needed to tell, -1 when the function is unknown.
 */
export function expectedFrameLength(buf: Uint8Array, role: 'request' | 'response'): number {
  if (buf.length < 2) return 0;
  const fc = buf[1];
  if (role === 'response') {
    if (fc & 0x80) return isKnownFunction(fc & 0x7f) ? 5 : -1;
    if (fc === 0x01 || fc === 0x03) return buf.length < 3 ? 0 : 5 + buf[2];
    return isKnownFunction(fc) ? 8 : -1;
  }
  if (fc === 0x0f || fc === 0x10) return buf.length < 7 ? 0 : 9 + buf[6];
  return isKnownFunction(fc) ? 8 : -1;
}
