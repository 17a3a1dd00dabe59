import { Type, type Static } from '@sinclair/typebox';

/** Agent updates for the boxes (gateway/ota); without it, bundles cannot be published. */
export const OtaConfig = Type.Object(
  {
    publicKey: Type.String({
      minLength: 1,
      description: 'PEM file with the Ed25519 public key the boxes hold (roadwarden gateway ota keygen)',
    }),
    baseUrl: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description: 'where boxes reach this gateway’s HTTP port for downloads, e.g. http://10.0.0.2:8080',
      }),
    ),
    /** share of a rollout's boxes updated first; the rest only once every one of them is healthy */
    canaryPercent: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** boxes sent the update per minute after the canary stage */
    perMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    /** a box that says nothing this long after the command has failed */
    timeoutS: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 86_400 })),
  },
  { additionalProperties: false },
);
export type OtaConfig = Static<typeof OtaConfig>;

export const OTA_DEFAULTS = { canaryPercent: 10, perMinute: 100, timeoutS: 1800 } as const;
