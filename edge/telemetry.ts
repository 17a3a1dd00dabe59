import type {
  DriverHealth,
  HealthFlag,
  IdGenerator,
  LightChannelHealth,
  TelemetryMessage,
} from '../protocols/index.ts';
import type { OutboxStats } from './outbox.ts';

export interface TelemetryInputs {
  drivers: Record<string, DriverHealth>;
  lights?: LightChannelHealth[];
  speaker?: TelemetryMessage['speaker'];
  outbox: OutboxStats;
  configVersion?: number;
  authRefused?: boolean;
}

const OFFLINE_FLAG: Record<string, HealthFlag> = {
  light: 'light_offline',
  speaker: 'speaker_offline',
  camera: 'camera_offline',
};

/** Conditions a technician acts on, derived from driver health. */
export function healthFlags(i: TelemetryInputs): HealthFlag[] {
  const flags = new Set<HealthFlag>();
  for (const [name, h] of Object.entries(i.drivers)) {
    // A driver still starting up is not a fault (telemetry goes out as soon as the link is up).
    if (h.state === 'offline' && h.error?.code !== 'not_ready') flags.add(OFFLINE_FLAG[name] ?? 'sensor_offline');
    if (h.error?.code === 'lamp_open_circuit') flags.add('lamp_fault');
    if (name.startsWith('sensor') && h.state === 'degraded') flags.add('sensor_stuck');
  }
  if (i.lights?.some((l) => l.lamp === 'open_circuit')) flags.add('lamp_fault');
  if (i.outbox.dropped.telemetry + i.outbox.dropped.evidence > 0) flags.add('outbox_dropping');
  // Delivered once the credentials are fixed: the centre sees the box was locked out, and since when.
  if (i.authRefused) flags.add('auth_refused');
  return [...flags];
}

/** Builds telemetry messages with the 0–255 sequence that lets the centre see a gap. */
export class TelemetryBuilder {
  private seq = 0;
  private readonly started: number;

  constructor(
    private readonly deviceId: string,
    private readonly newId: IdGenerator,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.started = this.now().getTime();
  }

  build(i: TelemetryInputs): TelemetryMessage {
    const now = this.now();
    const msg: TelemetryMessage = {
      v: 1,
      id: this.newId(),
      deviceId: this.deviceId,
      ts: now.toISOString(),
      seq: this.seq,
      uptimeS: Math.round((now.getTime() - this.started) / 1000),
      drivers: i.drivers,
      outbox: { pending: i.outbox.pending, dropped: i.outbox.dropped.telemetry + i.outbox.dropped.evidence },
      flags: healthFlags(i),
      ...(i.lights ? { lights: i.lights } : {}),
      ...(i.speaker ? { speaker: i.speaker } : {}),
      ...(i.configVersion !== undefined ? { configVersion: i.configVersion } : {}),
    };
    this.seq = (this.seq + 1) & 0xff;
    return msg;
  }
}
