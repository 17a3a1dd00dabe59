import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16modbus, withCrc } from './crc.ts';
import { ModbusFrameSplitter } from './frame-splitter.ts';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type ModbusRequest,
  type ModbusResponse,
} from './pdu.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('CRC-16/MODBUS', () => {
  // Vectors from PROTOCOLS.md (Modbus serial line spec, node-modbus-serial tests).
  const vectors: Array<[string, string]> = [
    ['11 03 00 6B 00 03', '76 87'],
    ['01 03 00 00 00 0A', 'C5 CD'],
    ['01 05 00 00 FF 00', '8C 3A'],
    ['01 01 00 00 00 08', '3D CC'],
    ['01 0F 00 00 00 04 01 0F', '7E 92'],
    ['11 01 00 13 00 25', '0E 84'],
    ['01 83 02', 'C0 F1'],
    ['01 03 00 6B 00 03', '74 17'],
    ['01 05 02 00 00 07', '8D B0'],
    ['01 05 00 01 01 00', '9D 9A'],
    ['00 06 40 00 00 01', '5C 1B'],
  ];
  it.each(vectors)('%s → %s', (body, crc) => {
    expect(withCrc(hex(body)).subarray(-2)).toEqual(hex(crc));
  });
  it('check value of "123456789" is 0x4B37', () => {
    expect(crc16modbus(Buffer.from('123456789'))).toBe(0x4b37);
  });
});

describe('Modbus PDU codec', () => {
  it('encodes the specification requests byte for byte', () => {
    expect(encodeRequest(0x11, { fc: 0x03, address: 0x6b, quantity: 3 })).toEqual(hex('11 03 00 6B 00 03 76 87'));
    expect(encodeRequest(1, { fc: 0x05, address: 0, value: 0xff00 })).toEqual(hex('01 05 00 00 FF 00 8C 3A'));
    expect(encodeRequest(1, { fc: 0x0f, address: 0, values: [true, true, true, true] })).toEqual(
      hex('01 0F 00 00 00 04 01 0F 7E 92'),
    );
  });

  it('decodes an exception reply', () => {
    const r = decodeResponse(hex('01 83 02 C0 F1'));
    expect(r).toEqual({ ok: true, value: { unit: 1, pdu: { fc: 3, exception: 2 } } });
  });

  it('refuses a bad CRC with a typed error', () => {
    const r = decodeRequest(hex('01 05 00 00 FF 00 8C 3B'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad_crc');
  });

  it('refuses an unknown function and a short frame', () => {
    const unknown = decodeRequest(withCrc(hex('01 2B 0E 01 00')));
    expect(!unknown.ok && unknown.error.code).toBe('unknown_function');
    const short = decodeResponse(hex('01 03'));
    expect(!short.ok && short.error.code).toBe('bad_length');
  });

  it('rejects out-of-range values when encoding', () => {
    expect(() => encodeRequest(248, { fc: 0x01, address: 0, quantity: 1 })).toThrow(/247/);
    expect(() => encodeRequest(1, { fc: 0x03, address: 0, quantity: 126 })).toThrow(/quantity/);
  });

  const u16 = fc.integer({ min: 0, max: 0xffff });
  const unit = fc.integer({ min: 1, max: 247 });
  const request: fc.Arbitrary<ModbusRequest> = fc.oneof(
    fc.record({ fc: fc.constant(0x01 as const), address: u16, quantity: fc.integer({ min: 1, max: 2000 }) }),
    fc.record({ fc: fc.constant(0x03 as const), address: u16, quantity: fc.integer({ min: 1, max: 125 }) }),
    fc.record({ fc: fc.constant(0x05 as const), address: u16, value: fc.constantFrom(0xff00, 0) }),
    fc.record({ fc: fc.constant(0x06 as const), address: u16, value: u16 }),
    fc.record({
      fc: fc.constant(0x0f as const),
      address: u16,
      values: fc.array(fc.boolean(), { minLength: 1, maxLength: 1968 }),
    }),
    fc.record({
      fc: fc.constant(0x10 as const),
      address: u16,
      values: fc.array(u16, { minLength: 1, maxLength: 123 }),
    }),
  );
  const response: fc.Arbitrary<ModbusResponse> = fc.oneof(
    fc
      .array(fc.boolean(), { minLength: 1, maxLength: 250 * 8 })
      .map((bits) => ({ fc: 0x01 as const, bits: bits.slice(0, Math.ceil(bits.length / 8) * 8) })),
    fc.record({ fc: fc.constant(0x03 as const), values: fc.array(u16, { minLength: 1, maxLength: 125 }) }),
    fc.record({ fc: fc.constantFrom(0x05 as const, 0x06 as const), address: u16, value: u16 }),
    fc.record({ fc: fc.constantFrom(0x0f as const, 0x10 as const), address: u16, quantity: u16 }),
    fc.record({ fc: fc.constantFrom(1, 3, 5, 6, 15, 16), exception: fc.integer({ min: 1, max: 255 }) }),
  );

  it('decode∘encode is identity for requests', () => {
    fc.assert(
      fc.property(unit, request, (u, req) => {
        expect(decodeRequest(encodeRequest(u, req))).toEqual({ ok: true, value: { unit: u, pdu: req } });
      }),
    );
  });

  it('decode∘encode is identity for responses (coils padded to whole bytes)', () => {
    fc.assert(
      fc.property(unit, response, (u, res) => {
        const padded =
          res.fc === 0x01 && 'bits' in res
            ? { fc: 1, bits: [...res.bits, ...Array(-res.bits.length & 7).fill(false)] }
            : res;
        expect(decodeResponse(encodeResponse(u, res))).toEqual({ ok: true, value: { unit: u, pdu: padded } });
      }),
    );
  });
});

describe('Modbus frame splitter', () => {
  const frames = fc.array(
    fc.record({
      u: fc.integer({ min: 1, max: 247 }),
      addr: fc.integer({ min: 0, max: 0xffff }),
      q: fc.integer({ min: 1, max: 125 }),
    }),
    { minLength: 1, maxLength: 20 },
  );

  it('splits back-to-back frames delivered in arbitrary chunks', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1 }), (fs, cuts) => {
        const wire = fs.map((f) => encodeRequest(f.u, { fc: 0x03, address: f.addr, quantity: f.q }));
        const all = Buffer.concat(wire);
        const s = new ModbusFrameSplitter({ role: 'request' });
        const got: Buffer[] = [];
        let off = 0;
        for (let i = 0; off < all.length; i++) {
          const n = cuts[i % cuts.length];
          got.push(...s.push(all.subarray(off, off + n), 0));
          off += n;
        }
        expect(got).toEqual(wire);
      }),
    );
  });

  it('never crashes on random bytes and only ever emits CRC-valid frames', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom('request' as const, 'response' as const),
        (bytes, role) => {
          const s = new ModbusFrameSplitter({ role });
          const out = [...s.push(bytes, 0), ...s.silence()];
          for (const f of out) expect(crc16modbus(f.subarray(0, -2))).toBe(f.readUInt16LE(f.length - 2));
        },
      ),
    );
  });

  it('recovers every intact frame from a stream with noise, truncation and bad CRCs between them', () => {
    fc.assert(
      fc.property(
        frames,
        fc.array(fc.uint8Array({ maxLength: 12 })),
        fc.integer({ min: 0, max: 1000 }),
        (fs, noise, seed) => {
          const good = fs.map((f) =>
            encodeResponse(f.u, {
              fc: 0x03,
              values: Array.from({ length: (f.q % 10) + 1 }, (_, i) => (f.addr + i) & 0xffff),
            }),
          );
          const parts: Buffer[] = [];
          good.forEach((g, i) => {
            const junk = Buffer.from(noise[i % Math.max(1, noise.length)] ?? []);
            // A truncated copy of a frame, then noise, then the real frame.
            if ((seed + i) % 3 === 0) parts.push(g.subarray(0, Math.max(1, g.length - 3)));
            parts.push(junk, g);
          });
          const s = new ModbusFrameSplitter({ role: 'response' });
          const out = [...s.push(Buffer.concat(parts), 0), ...s.silence()];
          // Every intact frame is found, in order — unless noise plus the start of a frame happened to
          // form a CRC-valid frame of its own (about 1 in 65536 per candidate), which no framer can tell.
          let j = 0;
          let phantoms = 0;
          for (const f of out) {
            if (j < good.length && f.equals(good[j])) j++;
            else phantoms++;
          }
          if (phantoms === 0) expect(j).toBe(good.length);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('discards a partial frame after the line goes silent', () => {
    const s = new ModbusFrameSplitter({ role: 'request', baudRate: 9600, minSilenceMs: 0 });
    const f = encodeRequest(1, { fc: 0x01, address: 0, quantity: 8 });
    expect(s.silenceMs).toBeCloseTo(4.01, 2);
    expect(s.push(f.subarray(0, 5), 0)).toEqual([]);
    expect(s.push(f, 10)).toEqual([f]);
    expect(s.stats.truncated).toBe(1);
  });

  it('passes a CRC-valid frame of an unknown function once the line is silent', () => {
    const s = new ModbusFrameSplitter({ role: 'request' });
    const vendor = withCrc(hex('01 2B 0E 01 00'));
    expect(s.push(vendor, 0)).toEqual([]);
    expect(s.silence()).toEqual([vendor]);
  });
});
