/**
 * Which device is where. Structured specs come from edge.yaml; the compact form
 * `kind:path?key=value&…` is what a technician types on the command line.
 */
export type LightSpec =
  | { type: 'modbus'; port: string; baudRate?: number; unit?: number; channels?: number; coilBase?: number }
  | { type: 'firmata'; port: string; baudRate?: number; pins: number[] };
export type SpeakerSpec = { type: 'mp3'; port: string; baudRate?: number };
export type SensorSpec = {
  type: 'firmata';
  port: string;
  baudRate?: number;
  pin: number;
  activeLow?: boolean;
  pullup?: boolean;
  debounceMs?: number;
};
export type GpsSpec = { type: 'nmea'; port: string; baudRate?: number };
export type CameraSpec =
  | { type: 'http'; url: string; username?: string; password?: string }
  | { type: 'dir'; dir: string; loop?: boolean };

export class SpecError extends Error {
  override readonly name = 'SpecError';
}

function split(spec: string, what: string): { kind: string; path: string; params: URLSearchParams } {
  const m = /^([a-z][a-z0-9]*):(.+)$/.exec(spec);
  if (!m) throw new SpecError(`${what} "${spec}" should look like kind:path (e.g. modbus:/dev/ttyUSB0)`);
  const [path, query = ''] = m[2].split('?', 2);
  return { kind: m[1], path, params: new URLSearchParams(query) };
}

function int(params: URLSearchParams, key: string, what: string, min: number, max: number): number | undefined {
  const v = params.get(key);
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new SpecError(`${what}: ${key}=${v} must be a whole number ${min}–${max}`);
  return n;
}

const BAUD = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
function baud(params: URLSearchParams, what: string): number | undefined {
  const b = int(params, 'baud', what, 1, 4_000_000);
  if (b !== undefined && !BAUD.includes(b))
    throw new SpecError(`${what}: baud=${b} is not a standard rate (${BAUD.join(', ')})`);
  return b;
}

function pinList(v: string | null, what: string): number[] {
  if (!v) throw new SpecError(`${what}: pins=… is required, e.g. pins=12,13`);
  return v.split(',').map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 127) throw new SpecError(`${what}: pin ${p} is not a pin number`);
    return n;
  });
}

export function parseLightSpec(spec: string): LightSpec {
  const { kind, path, params } = split(spec, 'light');
  const what = `light ${spec}`;
  if (kind === 'modbus') {
    return {
      type: 'modbus',
      port: path,
      baudRate: baud(params, what),
      unit: int(params, 'unit', what, 1, 247),
      channels: int(params, 'channels', what, 1, 64),
      coilBase: int(params, 'coil', what, 0, 65535),
    };
  }
  if (kind === 'firmata')
    return { type: 'firmata', port: path, baudRate: baud(params, what), pins: pinList(params.get('pins'), what) };
  throw new SpecError(`light kind "${kind}" is unknown (modbus or firmata)`);
}

export function parseSpeakerSpec(spec: string): SpeakerSpec {
  const { kind, path, params } = split(spec, 'speaker');
  if (kind !== 'mp3') throw new SpecError(`speaker kind "${kind}" is unknown (mp3)`);
  return { type: 'mp3', port: path, baudRate: baud(params, `speaker ${spec}`) };
}

export function parseSensorSpec(spec: string): SensorSpec {
  const { kind, path, params } = split(spec, 'sensor');
  const what = `sensor ${spec}`;
  if (kind !== 'firmata') throw new SpecError(`sensor kind "${kind}" is unknown (firmata)`);
  const pin = int(params, 'pin', what, 0, 127);
  if (pin === undefined) throw new SpecError(`${what}: pin=… is required, e.g. pin=2`);
  return {
    type: 'firmata',
    port: path,
    baudRate: baud(params, what),
    pin,
    activeLow: params.get('active') === 'low',
    pullup: params.get('pullup') === '1',
  };
}

export function parseCameraSpec(spec: string): CameraSpec {
  if (/^https?:\/\//.test(spec)) {
    const u = new URL(spec);
    const username = u.username ? decodeURIComponent(u.username) : undefined;
    const password = u.password ? decodeURIComponent(u.password) : undefined;
    u.username = '';
    u.password = '';
    return { type: 'http', url: u.href, username, password };
  }
  const { kind, path } = split(spec, 'camera');
  if (kind === 'dir') return { type: 'dir', dir: path, loop: true };
  throw new SpecError(`camera "${spec}" should be an http:// snapshot URL or dir:/path/to/images`);
}

export function parseGpsSpec(spec: string): GpsSpec {
  const { kind, path, params } = split(spec, 'gps');
  if (kind !== 'nmea') throw new SpecError(`gps kind "${kind}" is unknown (nmea:/dev/ttyUSB2?baud=9600)`);
  return { type: 'nmea', port: path, baudRate: baud(params, `gps ${spec}`) };
}
