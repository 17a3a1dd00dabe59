import { EventEmitter } from 'node:events';
import { PassThrough, type Transform } from 'node:stream';
import { formatNmea, nmeaCoordinate } from '../../protocols/index.ts';
import type { SerialDeviceModel } from './serial-device.ts';

export interface VirtualGpsOptions {
  lat: number;
  lon: number;
  /** Satellites once it has a fix. */
  sats?: number;
  hdop?: number;
  /** Cold start: sentences without a fix (satellites coming in) for this long. */
  acquireMs?: number;
  intervalMs?: number;
  now?: () => Date;
}

/**
 * An NMEA GPS/Beidou receiver as cheap USB/TTL modules behave: talks GNGGA + GNRMC once a
 * second whether anyone listens or not, without a fix until `acquireMs` has passed.
 */
export class VirtualGps extends EventEmitter implements SerialDeviceModel {
  readonly kind = 'nmea-gps';
  private readonly timer: NodeJS.Timeout;
  private started = Date.now();

  constructor(private readonly o: VirtualGpsOptions) {
    super();
    this.timer = setInterval(() => this.talk(), o.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** It ignores what it is sent (configuration sentences are not modelled). */
  createFramer(): Transform {
    return new PassThrough();
  }

  receive(): void {}

  /** Lose the fix and acquire again, as after a power cut (taking `acquireMs` this time, if given). */
  coldStart(acquireMs?: number): void {
    this.started = Date.now();
    if (acquireMs !== undefined) this.o.acquireMs = acquireMs;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private talk(): void {
    const now = this.o.now?.() ?? new Date();
    const fixed = Date.now() - this.started >= (this.o.acquireMs ?? 0);
    const hhmmss = `${now.toISOString().slice(11, 19).replace(/:/g, '')}.00`;
    const ddmmyy = `${now.toISOString().slice(8, 10)}${now.toISOString().slice(5, 7)}${now.toISOString().slice(2, 4)}`;
    const [la, ns] = nmeaCoordinate(this.o.lat, 'lat');
    const [lo, ew] = nmeaCoordinate(this.o.lon, 'lon');
    const sats = fixed ? (this.o.sats ?? 9) : Math.min(3, Math.floor((Date.now() - this.started) / 1000));
    const gga = fixed
      ? `GNGGA,${hhmmss},${la},${ns},${lo},${ew},1,${String(sats).padStart(2, '0')},${(this.o.hdop ?? 0.9).toFixed(1)},38.0,M,-4.0,M,,`
      : `GNGGA,${hhmmss},,,,,0,${String(sats).padStart(2, '0')},99.99,,,,,,`;
    const rmc = fixed
      ? `GNRMC,${hhmmss},A,${la},${ns},${lo},${ew},0.00,0.00,${ddmmyy},,,A`
      : `GNRMC,${hhmmss},V,,,,,,,${ddmmyy},,,N`;
    this.emit('send', Buffer.from(formatNmea(gga) + formatNmea(rmc), 'latin1'));
  }
}
