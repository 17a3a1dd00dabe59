import { Type, type Static } from '@sinclair/typebox';
import { envelope } from './envelope.ts';

export const SelfTestCheck = Type.Object(
  {
    device: Type.String({ maxLength: 64 }),
    check: Type.String({ maxLength: 128 }),
    ok: Type.Boolean(),
    message: Type.String({ maxLength: 1024 }),
    ms: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type SelfTestCheck = Static<typeof SelfTestCheck>;

/**
 * The result of a self-test on the box (lights, speaker, sensor, camera, gateway, clock). The
 * gateway attaches it to the device record; a passing one after a repair lets a fault ticket close.
 */
export const SelfTestReport = envelope({
  ok: Type.Boolean(),
  /** Who ran it: a technician at the roadside (`selftest` command), or the centre (`self_test` command). */
  trigger: Type.Union([Type.Literal('technician'), Type.Literal('command')]),
  by: Type.Optional(Type.String({ maxLength: 64 })),
  firmware: Type.Optional(Type.String({ maxLength: 64 })),
  checks: Type.Array(SelfTestCheck, { maxItems: 200 }),
});
export type SelfTestReport = Static<typeof SelfTestReport>;
