import { fail, ok, type Result } from './result.ts';

/** GGA: fix quality, satellites, HDOP (GP, GN, BD, GB talkers alike — Beidou receivers say GN/BD). */
export interface GgaSentence {
  type: 'GGA';
  lat: number | null;
  lon: number | null;
  /** 0 = no fix, 1 = GPS, 2 = DGPS, 4/5 = RTK … */
  quality: number;
  sats: number;
  hdop: number | null;
  altitudeM: number | null;
}
export interface RmcSentence {
  type: 'RMC';
  valid: boolean;
  lat: number | null;
  lon: number | null;
  /** UTC time of the fix, when date and time are present. */
  at: Date | null;
}
export type NmeaSentence = GgaSentence | RmcSentence | { type: 'other'; name: string };

/** XOR of the characters between `$` and `*`, two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

export function formatNmea(body: string): string {
  return `$${body}*${nmeaChecksum(body)}\r\n`;
}

/** Degrees as NMEA writes them: ddmm.mmmm / dddmm.mmmm and a hemisphere letter. */
export function nmeaCoordinate(deg: number, axis: 'lat' | 'lon'): [string, string] {
  const a = Math.abs(deg);
  const d = Math.floor(a);
  const m = (a - d) * 60;
  const hemi = axis === 'lat' ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E';
  return [`${String(d).padStart(axis === 'lat' ? 2 : 3, '0')}${m.toFixed(4).padStart(7, '0')}`, hemi];
}

function coordinate(v: string, hemi: string, axis: 'lat' | 'lon'): number | null {
  if (!v) return null;
  const degDigits = axis === 'lat' ? 2 : 3;
  const d = Number(v.slice(0, degDigits));
  const m = Number(v.slice(degDigits));
  if (!Number.isFinite(d) || !Number.isFinite(m) || m >= 60) return null;
  const deg = d + m / 60;
  return hemi === 'S' || hemi === 'W' ? -deg : deg;
}

const num = (v: string | undefined): number | null =>
  v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v);

/** One NMEA 0183 line; a missing or wrong checksum is an error (a noisy serial line is normal). */
export function parseNmea(line: string): Result<NmeaSentence> {
  const m = /^\$([A-Z0-9,.\-+ ]{1,80})\*([0-9A-Fa-f]{2})\s*$/.exec(line.trim());
  if (!m) return fail('bad_frame', `not an NMEA sentence: "${line.trim().slice(0, 40)}"`);
  if (nmeaChecksum(m[1]) !== m[2].toUpperCase())
    return fail('bad_checksum', `NMEA checksum ${m[2]} is wrong (expected ${nmeaChecksum(m[1])})`);
  const f = m[1].split(',');
  const name = f[0].slice(2);
  if (name === 'GGA') {
    return ok({
      type: 'GGA',
      lat: coordinate(f[2], f[3], 'lat'),
      lon: coordinate(f[4], f[5], 'lon'),
      quality: num(f[6]) ?? 0,
      sats: num(f[7]) ?? 0,
      hdop: num(f[8]),
      altitudeM: num(f[9]),
    });
  }
  if (name === 'RMC') {
    const t = f[1] ?? '';
    const d = f[9] ?? '';
    // Two-digit years: GPS began in 1980, so 80–99 are the 1900s.
    const century = Number(d.slice(4, 6)) >= 80 ? '19' : '20';
    const at =
      t.length >= 6 && d.length === 6
        ? new Date(
            `${century}${d.slice(4, 6)}-${d.slice(2, 4)}-${d.slice(0, 2)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}Z`,
          )
        : null;
    return ok({
      type: 'RMC',
      valid: f[2] === 'A',
      lat: coordinate(f[3], f[4], 'lat'),
      lon: coordinate(f[5], f[6], 'lon'),
      at: at && !Number.isNaN(at.getTime()) ? at : null,
    });
  }
  return ok({ type: 'other', name });
}
