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
  reason: Type.Optional(Type.String({ maxLength: 256 })),
});
export type StatusMessage = Static<typeof StatusMessage>;
