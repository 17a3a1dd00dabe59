import { Type, type Static } from '@sinclair/typebox';

/** Health of one driver (light controller, speaker, sensor board, camera). A dead one never hides the others. */
export const DriverHealth = Type.Object(
  {
    state: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('offline')]),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    since: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type DriverHealth = Static<typeof DriverHealth>;

export const LampState = Type.Union([Type.Literal('ok'), Type.Literal('open_circuit'), Type.Literal('unknown')]);
export type LampState = Static<typeof LampState>;

export const LightMode = Type.Union([Type.Literal('off'), Type.Literal('on'), Type.Literal('flash')]);
export type LightMode = Static<typeof LightMode>;

export const LightChannelHealth = Type.Object(
  { channel: Type.Integer({ minimum: 1, maximum: 64 }), mode: LightMode, lamp: LampState },
  { additionalProperties: false },
);
export type LightChannelHealth = Static<typeof LightChannelHealth>;

/** Names of conditions a technician or the centre acts on; telemetry lists the ones that hold now. */
export const HEALTH_FLAGS = [
  'lamp_fault',
  'light_offline',
  'speaker_offline',
  'sensor_offline',
  'sensor_stuck',
  'camera_offline',
  'low_battery',
  'solar_low',
  'disk_low',
  'outbox_dropping',
  'overheat',
  'clock_unsynced',
  'auth_refused',
] as const;
export const HealthFlag = Type.Union(HEALTH_FLAGS.map((f) => Type.Literal(f)));
export type HealthFlag = (typeof HEALTH_FLAGS)[number];
