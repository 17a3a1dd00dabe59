import { randomBytes } from 'node:crypto';
import { Document } from 'yaml';
import type { CameraSpec, LightSpec, ProbeFinding, SensorSpec, SpeakerSpec } from '../../hardware/index.ts';
import { hashPassword, mosquittoHash, type DeviceRegistration } from '../../protocols/index.ts';
import type { EdgeConfig } from '../config/schema.ts';

export interface Position {
  lat: number;
  lon: number;
  source: 'typed' | 'gps';
  sats?: number;
  hdop?: number | null;
}

/** Everything a technician tells (or the tools find out) about a new box. */
export interface CommissionInput
  extends Pick<DeviceRegistration, 'id' | 'name' | 'road' | 'crossing' | 'township' | 'village' | 'donor'> {
  position?: Position;
  light?: LightSpec;
  speaker?: SpeakerSpec;
  sensor?: SensorSpec;
  camera?: CameraSpec;
  /** Recognise on the box (一抓拍三识别) from the camera's frames. */
  vision?: boolean;
  /** MQTT URL of the county gateway, as the box will use it. */
  gatewayUrl: string;
  apiUrl?: string;
  technician?: string;
  dataDir?: string;
  /** where the box keeps the county's update public key */
  otaKey?: string;
}

export const PASSWORD_ENV = 'RW_DEVICE_PASSWORD';
export const CAMERA_PASSWORD_ENV = 'RW_CAMERA_PASSWORD';
/** The key the box's outbox is encrypted under (32 random bytes, base64). */
export const STORAGE_KEY_ENV = 'RW_STORAGE_KEY';

/** A fresh device password: 24 random bytes, URL-safe. Only its scrypt hash leaves the box. */
export function newDevicePassword(): string {
  return randomBytes(24).toString('base64url');
}

export function placeName(i: CommissionInput): string | undefined {
  return i.name ?? ([i.township, i.village, i.crossing].filter(Boolean).join(' ') || undefined);
}

/** The box's edge.yaml: the hardware found, the usual rules, secrets as ${ENV} references. */
export function edgeConfigFor(i: CommissionInput): EdgeConfig {
  const hardware: EdgeConfig['hardware'] = {};
  if (i.light)
    hardware.light =
      i.light.type === 'modbus'
        ? {
            type: 'modbus',
            port: i.light.port,
            baudRate: baud(i.light.baudRate),
            unit: i.light.unit,
            channels: i.light.channels,
            coilBase: i.light.coilBase,
          }
        : { type: 'firmata', port: i.light.port, baudRate: baud(i.light.baudRate), pins: i.light.pins };
  if (i.speaker)
    hardware.speaker = { type: 'mp3', port: i.speaker.port, baudRate: baud(i.speaker.baudRate), volume: 24 };
  if (i.sensor)
    hardware.sensors = [
      {
        name: 'approach',
        type: 'firmata',
        port: i.sensor.port,
        baudRate: baud(i.sensor.baudRate),
        pin: i.sensor.pin,
        activeLow: i.sensor.activeLow || undefined,
        pullup: i.sensor.pullup || undefined,
      },
    ];
  if (i.camera)
    hardware.camera =
      i.camera.type === 'dir'
        ? { type: 'dir', dir: i.camera.dir }
        : {
            type: 'http',
            url: i.camera.url,
            username: i.camera.username,
            password: i.camera.password ? `\${${CAMERA_PASSWORD_ENV}}` : undefined,
          };
  const rules: NonNullable<EdgeConfig['rules']> = [];
  if (i.sensor && (i.light || i.speaker)) {
    rules.push({
      name: 'approach_warning',
      trigger: { sensor: 'approach' },
      light: i.light ? { mode: 'flash', periodMs: 600, duty: 0.5, durationS: 30 } : undefined,
      voice: i.speaker ? { clip: 1, times: 2, text: '前方路口，减速慢行' } : undefined,
      cooldownS: 20,
      report: { kind: 'presence', severity: 'info' },
    });
  }
  if (i.light || i.speaker) {
    rules.push({
      name: 'tricycle_passengers',
      trigger: { event: 'tricycle_passengers' },
      light: i.light ? { mode: 'flash', periodMs: 300, duty: 0.5, durationS: 60 } : undefined,
      voice: i.speaker ? { clip: 2, times: 3, text: '三轮车禁止载人' } : undefined,
      cooldownS: 30,
      report: { kind: 'tricycle_passengers', severity: 'alarm' },
    });
  }
  return {
    device: {
      id: i.id,
      name: placeName(i),
      location: i.position ? { lat: round(i.position.lat), lon: round(i.position.lon) } : undefined,
      timezone: 'Asia/Shanghai',
    },
    gateway: {
      url: i.gatewayUrl,
      username: i.id,
      password: `\${${PASSWORD_ENV}}`,
      protocolVersion: 4,
      keepaliveS: 30,
      apiUrl: i.apiUrl,
    },
    hardware,
    // The built-in detector until the county installs its own (docs/vision.md).
    vision: i.camera && i.vision ? { everyMs: 1000 } : undefined,
    rules: rules.length ? rules : undefined,
    quietHours: { from: '22:00', to: '06:00' },
    telemetry: { intervalS: 60 },
    dataDir: i.dataDir ?? '/var/lib/roadwarden',
    ...(i.otaKey ? { ota: { publicKey: i.otaKey } } : {}),
    outbox: { key: `\${${STORAGE_KEY_ENV}}` },
  };
}

const round = (d: number) => Math.round(d * 1e6) / 1e6;
const baud = (b: number | undefined) => b as 1200 | 2400 | 4800 | 9600 | 19200 | 38400 | 57600 | 115200 | undefined;

export function edgeYaml(config: EdgeConfig, i: CommissionInput, at: Date): string {
  const doc = new Document(config);
  doc.commentBefore = [
    ` roadwarden edge — ${config.device.id}${config.device.name ? ` (${config.device.name})` : ''}`,
    ` Written by \`roadwarden commission\` at ${at.toISOString()}${i.technician ? ` by ${i.technician}` : ''}.`,
    ` Secrets come from the environment (${PASSWORD_ENV}, ${STORAGE_KEY_ENV}${i.camera?.type === 'http' && i.camera.password ? `, ${CAMERA_PASSWORD_ENV}` : ''}): see the .env file written beside this one.`,
    ' Check: roadwarden edge --check-config --config THIS_FILE --env-file THAT_FILE',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** The environment file with the secrets (mode 0600); systemd reads it with EnvironmentFile=. */
export function envFile(password: string, storageKey: string, i: CommissionInput): string {
  const lines = [
    `# roadwarden edge secrets for ${i.id} — keep this file private (mode 600)`,
    `${PASSWORD_ENV}=${password}`,
    `# encrypts the box's outbox; losing it loses only what was waiting to be sent`,
    `${STORAGE_KEY_ENV}=${storageKey}`,
  ];
  if (i.camera?.type === 'http' && i.camera.password) lines.push(`${CAMERA_PASSWORD_ENV}=${i.camera.password}`);
  return `${lines.join('\n')}\n`;
}

export async function registrationFor(i: CommissionInput, password: string, at: Date): Promise<DeviceRegistration> {
  const hardware: Record<string, unknown> = {};
  if (i.light) hardware.light = { ...i.light };
  if (i.speaker) hardware.speaker = { ...i.speaker };
  if (i.sensor) hardware.sensor = { ...i.sensor };
  if (i.camera) hardware.camera = i.camera.type === 'http' ? { type: 'http', url: i.camera.url } : { ...i.camera };
  const p = i.position;
  return {
    v: 1,
    id: i.id,
    passwordHash: await hashPassword(password),
    brokerHash: mosquittoHash(password),
    name: placeName(i),
    road: i.road,
    crossing: i.crossing,
    township: i.township,
    village: i.village,
    lat: p && round(p.lat),
    lon: p && round(p.lon),
    position: p && { source: p.source, sats: p.sats, hdop: p.hdop ?? undefined },
    hardware,
    donor: i.donor,
    commissionedAt: at.toISOString(),
    commissionedBy: i.technician,
  };
}

export type RegisterOutcome =
  | { registered: true; replaced: boolean }
  | { registered: false; unreachable: boolean; message: string };

/** POST the registration; "unreachable" (no network, gateway down) lets the caller fall back to a signed file. */
export async function registerOnline(
  apiUrl: string,
  token: string,
  reg: DeviceRegistration,
  replace: boolean,
): Promise<RegisterOutcome> {
  let res: Response;
  try {
    res = await fetch(new URL(`/api/v1/devices${replace ? '?replace=true' : ''}`, apiUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(reg),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    return {
      registered: false,
      unreachable: true,
      message: `gateway API ${apiUrl} not reachable (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message})`,
    };
  }
  const body = (await res.json().catch(() => ({}))) as { replaced?: boolean; message?: string };
  if (res.status === 201) return { registered: true, replaced: body.replaced === true };
  return {
    registered: false,
    unreachable: res.status >= 500,
    message: `gateway refused the registration (${res.status}): ${body.message ?? res.statusText}`,
  };
}

export function describeFinding(f: ProbeFinding): string {
  if (f.device === 'mp3') return `MP3 module at ${f.baudRate} baud`;
  return `Modbus light controller, slave ${f.unit} at ${f.baudRate} baud, ${f.channels} channels${f.channelsFrom === 'assumed' ? ' (assumed: the controller does not say)' : ''}`;
}
