import { parseNmea, type GgaSentence } from '../../protocols/index.ts';
import { HardwareError } from '../errors.ts';
import { SerialLine, type SerialBinding } from '../serial/serial-line.ts';

export interface GpsFix {
  lat: number;
  lon: number;
  sats: number;
  hdop: number | null;
  /** 1 = GPS/Beidou, 2 = differential … */
  quality: number;
}

export interface GpsFixOptions {
  timeoutMs?: number;
  /** A commissioning position wants a real fix, not the first guess: at least this many satellites … */
  minSats?: number;
  /** … and at most this HDOP. */
  maxHdop?: number;
  /** Every GGA heard, so a technician can watch satellites come in. */
  onProgress?: (g: GgaSentence) => void;
}

/**
 * Wait for a good position from an NMEA receiver (GPS, Beidou) on a serial line. Fails with what
 * was heard: nothing (wrong port, no power), noise (wrong baud), or sentences without a fix.
 */
export function readGpsFix(line: SerialLine, o: GpsFixOptions = {}): Promise<GpsFix> {
  const minSats = o.minSats ?? 4;
  const maxHdop = o.maxHdop ?? 5;
  const timeoutMs = o.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    let text = '';
    let good = 0;
    let bad = 0;
    let last: GgaSentence | undefined;
    const done = (err?: Error, fix?: GpsFix) => {
      clearTimeout(timer);
      line.off('data', onData);
      if (err) reject(err);
      else resolve(fix!);
    };
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (text.length > 4096) text = text.slice(-1024);
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        const s = text.slice(0, nl);
        text = text.slice(nl + 1);
        if (!s.trim()) continue;
        const r = parseNmea(s);
        if (!r.ok) {
          bad++;
          continue;
        }
        good++;
        if (r.value.type !== 'GGA') continue;
        const g = r.value;
        last = g;
        o.onProgress?.(g);
        if (g.quality > 0 && g.lat !== null && g.lon !== null && g.sats >= minSats && (g.hdop ?? 99) <= maxHdop) {
          done(undefined, { lat: g.lat, lon: g.lon, sats: g.sats, hdop: g.hdop, quality: g.quality });
        }
      }
    };
    const timer = setTimeout(() => {
      const s = Math.round(timeoutMs / 1000);
      if (!good && !bad && !text)
        done(
          new HardwareError(
            'no_reply',
            `no NMEA heard on ${line.path} in ${s} s: wrong port, or the receiver has no power`,
          ),
        );
      else if (!good)
        done(
          new HardwareError(
            'bad_reply',
            `only noise on ${line.path} at ${line.baudRate} baud: try another baud (4800, 9600, 38400, 115200)`,
          ),
        );
      else
        done(
          new HardwareError(
            'no_fix',
            `GPS answers but has no good fix after ${s} s (${last ? `${last.sats} satellites, HDOP ${last.hdop ?? '?'}` : 'no GGA sentences'}): give it open sky, or type the position`,
          ),
        );
    }, timeoutMs);
    line.on('data', onData);
  });
}

/** Open the receiver's port, wait for a fix, close the port. */
export async function gpsFixFromPort(
  path: string,
  baudRate: number,
  o: GpsFixOptions & { binding?: SerialBinding } = {},
): Promise<GpsFix> {
  const line = new SerialLine({ path, baudRate, binding: o.binding });
  try {
    await line.start();
    if (!line.isOpen) await line.waitOpen(3000);
    return await readGpsFix(line, o);
  } finally {
    await line.stop();
  }
}
