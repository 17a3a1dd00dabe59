import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNmea, nmeaCoordinate, parseNmea } from './nmea.ts';

describe('NMEA 0183', () => {
  it('reads GGA and RMC lines from a real receiver (NovAtel / u-blox manual examples)', () => {
    // Checksums as printed in the receivers' manuals.
    const gga = parseNmea('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47');
    expect(gga).toMatchObject({ ok: true, value: { type: 'GGA', quality: 1, sats: 8, hdop: 0.9, altitudeM: 545.4 } });
    if (gga.ok && gga.value.type === 'GGA') {
      expect(gga.value.lat).toBeCloseTo(48.1173, 4);
      expect(gga.value.lon).toBeCloseTo(11.516667, 5);
    }
    const rmc = parseNmea('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A');
    expect(rmc).toMatchObject({ ok: true, value: { type: 'RMC', valid: true } });
    if (rmc.ok && rmc.value.type === 'RMC') expect(rmc.value.at?.toISOString()).toBe('1994-03-23T12:35:19.000Z');
  });

  it('refuses a damaged line with the reason, and reads a receiver with no fix as quality 0', () => {
    expect(parseNmea('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*48')).toMatchObject({
      ok: false,
      error: { code: 'bad_checksum' },
    });
    expect(parseNmea('GPGGA,123519')).toMatchObject({ ok: false, error: { code: 'bad_frame' } });
    expect(parseNmea(formatNmea('GNGGA,000000.00,,,,,0,00,99.99,,,,,,'))).toMatchObject({
      ok: true,
      value: { type: 'GGA', quality: 0, lat: null, lon: null },
    });
  });

  it('writes what it reads, anywhere on the globe (Beidou GN talker)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -89.99, max: 89.99, noNaN: true }),
        fc.double({ min: -179.99, max: 179.99, noNaN: true }),
        (lat, lon) => {
          const [la, ns] = nmeaCoordinate(lat, 'lat');
          const [lo, ew] = nmeaCoordinate(lon, 'lon');
          const r = parseNmea(formatNmea(`GNGGA,081530.00,${la},${ns},${lo},${ew},1,09,1.1,40.0,M,,M,,`));
          if (!r.ok || r.value.type !== 'GGA') return false;
          return Math.abs(r.value.lat! - lat) < 1e-5 && Math.abs(r.value.lon! - lon) < 1e-5;
        },
      ),
    );
  });
});
