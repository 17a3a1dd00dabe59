import { Type, type Static } from '@sinclair/typebox';
import { envelope } from './envelope.ts';

/**
 * Retained availability. The will carries the same bdSeq as the birth that follows it (Sparkplug's
 * idea), so the centre can tell a restart from a link drop.
 */
export const StatusMessage = envelope({
  state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  bdSeq: Type.Integer({ minimum: 0 }),
  firmware: Type.Optional(Type.String({ maxLength: 64 })),
  /** what the box's agent runs with besides itself, installed by updates: roadwarden-models-<v>, roadwarden-config-<v> */
  parts: Type.Optional(
    Type.Object(
      { models: Type.Optional(Type.String({ maxLength: 64 })), config: Type.Optional(Type.String({ maxLength: 64 })) },
      { additionalProperties: false },
    ),
  ),
  reason: Type.Optional(Type.String({ maxLength: 256 })),
});
export type StatusMessage = Static<typeof StatusMessage>;
