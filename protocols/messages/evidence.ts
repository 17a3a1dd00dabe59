import { Type, type Static } from '@sinclair/typebox';
import { MessageId, Sha256Hex, envelope } from './envelope.ts';

const Box = Type.Tuple([Type.Number(), Type.Number(), Type.Number(), Type.Number()], {
  description: 'x, y, width, height in pixels of the full frame',
});

export const EvidenceImage = Type.Object(
  {
    role: Type.Union([Type.Literal('frame'), Type.Literal('plate'), Type.Literal('face'), Type.Literal('vehicle')]),
    sha256: Sha256Hex,
    bytes: Type.Integer({ minimum: 1 }),
    mime: Type.Literal('image/jpeg'),
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    box: Type.Optional(Box),
  },
  { additionalProperties: false },
);

export const Recognition = Type.Object(
  {
    what: Type.Union([Type.Literal('vehicle'), Type.Literal('person'), Type.Literal('plate'), Type.Literal('face')]),
    label: Type.String({ maxLength: 64 }),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    box: Box,
    value: Type.Optional(Type.String({ maxLength: 64 })),
    /** Faces: the descriptor, so the centre can match a driver whose plate could not be read. */
    embedding: Type.Optional(
      Type.Object(
        {
          model: Type.String({ maxLength: 64 }),
          dims: Type.Integer({ minimum: 1, maximum: 4096 }),
          base64: Type.String({ maxLength: 21848, pattern: '^[A-Za-z0-9+/]*={0,2}$' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The one evidence package of one capture: images go separately, addressed by their SHA-256. */
export const EvidenceManifest = envelope({
  evidenceId: MessageId,
  eventId: Type.Optional(MessageId),
  capturedAt: Type.String(),
  images: Type.Array(EvidenceImage, { minItems: 1, maxItems: 16 }),
  recognitions: Type.Array(Recognition, { maxItems: 128 }),
  models: Type.Array(
    Type.Object({ name: Type.String(), version: Type.String(), sha256: Sha256Hex }, { additionalProperties: false }),
    { maxItems: 16 },
  ),
  /** SHA-256 over the canonical manifest without this field: tamper evidence for the record. */
  hash: Sha256Hex,
});
export type EvidenceManifest = Static<typeof EvidenceManifest>;
