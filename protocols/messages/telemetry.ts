import { Type, type Static } from '@sinclair/typebox';
import { envelope } from './envelope.ts';
import { DriverHealth, HealthFlag, LightChannelHealth } from './health.ts';

export const TelemetryMessage = envelope({
  /** 0–255, wraps; a gap tells the centre a message was lost. */
  seq: Type.Integer({ minimum: 0, maximum: 255 }),
  uptimeS: Type.Number({ minimum: 0 }),
  configVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  drivers: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), DriverHealth),
  lights: Type.Optional(Type.Array(LightChannelHealth, { maxItems: 64 })),
  speaker: Type.Optional(
    Type.Object(
      {
        playing: Type.Boolean(),
        volume: Type.Integer({ minimum: 0, maximum: 30 }),
        clip: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
  ),
  power: Type.Optional(
    Type.Object(
      {
        batteryV: Type.Optional(Type.Number()),
        solarV: Type.Optional(Type.Number()),
        mains: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
  ),
  diskFreeMb: Type.Optional(Type.Number({ minimum: 0 })),
  temperatureC: Type.Optional(Type.Number()),
  outbox: Type.Optional(
    Type.Object(
      { pending: Type.Integer({ minimum: 0 }), dropped: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false },
    ),
  ),
  flags: Type.Array(HealthFlag, { uniqueItems: true }),
});
export type TelemetryMessage = Static<typeof TelemetryMessage>;
