import { Type, type Static } from '@sinclair/typebox';
import { Sha256Hex, envelope } from './envelope.ts';

/**
 * Where a box is with an agent update, on rw/v1/{id}/ota: downloading → installed → healthy, or
 * rolled_back (the new version did not start or failed its check: the old one runs again), or
 * failed (refused before anything changed: signature, download, hash, unpacking).
 */
export const OTA_STATES = ['downloading', 'installed', 'healthy', 'rolled_back', 'failed'] as const;
export type OtaState = (typeof OTA_STATES)[number];

export const OtaStatusMessage = envelope({
  rollout: Type.Optional(Type.String({ maxLength: 64 })),
  version: Type.String({ maxLength: 40 }),
  sha256: Sha256Hex,
  state: Type.Union(OTA_STATES.map((s) => Type.Literal(s))),
  reason: Type.Optional(Type.String({ maxLength: 1024 })),
  /** what the box runs as it reports */
  firmware: Type.String({ maxLength: 64 }),
});
export type OtaStatusMessage = Static<typeof OtaStatusMessage>;
