import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { IsoTime, Sha256Hex, envelope, type Envelope } from './envelope.ts';
import { SignedManifest } from '../update-bundle.ts';
import { LightMode } from './health.ts';

const Channels = Type.Array(Type.Integer({ minimum: 1, maximum: 64 }), {
  minItems: 1,
  maxItems: 64,
  uniqueItems: true,
});
const Clip = Type.Integer({ minimum: 1, maximum: 2999, description: 'track number on the MP3 module' });
const Volume = Type.Integer({ minimum: 0, maximum: 30 });

/** Parameters of each command a gateway may send to a box. */
export const COMMAND_PARAMS = {
  set_light: Type.Object(
    {
      channels: Type.Optional(Channels),
      mode: LightMode,
      periodMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 10_000 })),
      duty: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.95 })),
      durationS: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    },
    { additionalProperties: false },
  ),
  play_clip: Type.Object(
    { clip: Clip, times: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })), volume: Type.Optional(Volume) },
    { additionalProperties: false },
  ),
  stop: Type.Object({}, { additionalProperties: false }),
  set_volume: Type.Object({ volume: Volume }, { additionalProperties: false }),
  update_voice: Type.Object(
    {
      clip: Clip,
      url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
      sha256: Sha256Hex,
      text: Type.Optional(Type.String({ maxLength: 500 })),
    },
    { additionalProperties: false },
  ),
  /** Install a signed agent release beside the running one, try it, keep it or roll back (edge/ota). */
  update_agent: Type.Object(
    {
      bundle: SignedManifest,
      url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
      /** the rollout this belongs to, echoed in the box's ota reports */
      rollout: Type.Optional(Type.String({ maxLength: 64 })),
    },
    { additionalProperties: false },
  ),
  self_test: Type.Object({}, { additionalProperties: false }),
  snapshot: Type.Object({}, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export type CommandName = keyof typeof COMMAND_PARAMS;
export const COMMAND_NAMES = Object.keys(COMMAND_PARAMS) as CommandName[];
export type CommandParams<N extends CommandName> = Static<(typeof COMMAND_PARAMS)[N]>;

export const CommandMessage = Type.Union(
  COMMAND_NAMES.map((name) =>
    envelope({
      name: Type.Literal(name),
      params: COMMAND_PARAMS[name],
      /** A warning that arrives late is worse than none: the box refuses expired commands. */
      expiresAt: Type.Optional(IsoTime),
    }),
  ),
);
export type CommandMessage = {
  [N in CommandName]: Envelope & { name: N; params: CommandParams<N>; expiresAt?: string };
}[CommandName];

export const CommandResultMessage = envelope({
  commandId: Type.String({ maxLength: 64 }),
  name: Type.String({ maxLength: 64 }),
  ok: Type.Boolean(),
  code: Type.Optional(Type.String({ maxLength: 64 })),
  message: Type.Optional(Type.String({ maxLength: 1024 })),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type CommandResultMessage = Static<typeof CommandResultMessage>;

/** Desired configuration, retained on …/config; the box reports the version it applied in telemetry. */
export const DesiredConfigMessage = envelope({
  version: Type.Integer({ minimum: 0 }),
  config: Type.Record(Type.String(), Type.Unknown()),
});
export type DesiredConfigMessage = Static<typeof DesiredConfigMessage>;
