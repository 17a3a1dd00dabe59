/** CRC-16/MODBUS: reflected polynomial 0xA001, init 0xFFFF, no final xor; sent low byte first. */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/** Append the CRC (low byte first) to a frame body. */
export function withCrc(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(body.length + 2);
  out.set(body, 0);
  out.writeUInt16LE(crc16modbus(body), body.length);
  return out;
}

/** True when the last two bytes are the CRC of the rest. */
export function crcValid(frame: Uint8Array, length = frame.length): boolean {
  if (length < 3) return false;
  const crc = crc16modbus(frame, 0, length - 2);
  return frame[length - 2] === (crc & 0xff) && frame[length - 1] === crc >>> 8;
}
