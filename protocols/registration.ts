import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { canonicalJson } from './evidence-image.ts';
import { DEVICE_ID_PATTERN } from './ids.ts';
import { fail, ok, type Result } from './result.ts';
import { explainError } from './schema-errors.ts';

export const Donor = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100 })),
    /** Shown as "anonymous" (匿名) on the donor wall. */
    anonymous: Type.Optional(Type.Boolean()),
    amount: Type.Optional(Type.Number({ minimum: 0 })),
    date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' })),
    thanks: Type.Optional(Type.String({ maxLength: 500, description: 'public thank-you text' })),
  },
  { additionalProperties: false },
);
export type Donor = Static<typeof Donor>;

/**
 * What `roadwarden commission` tells the gateway about a new box. It carries the scrypt hash of
 * the device password, never the password, so the file written offline holds no secret.
 */
export const DeviceRegistration = Type.Object(
  {
    v: Type.Literal(1),
    id: Type.String({ pattern: DEVICE_ID_PATTERN }),
    passwordHash: Type.String({ pattern: '^scrypt\\$\\d+\\$\\d+\\$\\d+\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$' }),
    /** Mosquitto's hash of the same password, for a county on an external Mosquitto (`gateway broker-config`). */
    brokerHash: Type.Optional(Type.String({ pattern: '^\\$7\\$\\d{2,7}\\$[A-Za-z0-9+/]{16}\\$[A-Za-z0-9+/]{86}==$' })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    road: Type.Optional(Type.String({ maxLength: 100 })),
    crossing: Type.Optional(Type.String({ maxLength: 100 })),
    township: Type.Optional(Type.String({ maxLength: 100 })),
    village: Type.Optional(Type.String({ maxLength: 100 })),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    /** Where the position came from: typed by the technician, or a GPS fix (with satellites and HDOP). */
    position: Type.Optional(
      Type.Object({
        source: Type.Union([Type.Literal('typed'), Type.Literal('gps')]),
        sats: Type.Optional(Type.Integer()),
        hdop: Type.Optional(Type.Number()),
      }),
    ),
    hardware: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    donor: Type.Optional(Donor),
    commissionedAt: Type.String({ minLength: 10 }),
    commissionedBy: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type DeviceRegistration = Static<typeof DeviceRegistration>;

/** A registration written offline, to upload later: signed with the technician's API token. */
export const SignedRegistration = Type.Object(
  {
    registration: DeviceRegistration,
    /** Name of the API token that signed it. */
    signedBy: Type.String({ minLength: 1, maxLength: 64 }),
    /** HMAC-SHA256 over the registration's canonical JSON, keyed by SHA-256(token), hex. */
    signature: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
);
export type SignedRegistration = Static<typeof SignedRegistration>;

const checkSigned = TypeCompiler.Compile(SignedRegistration);
const checkRegistration = TypeCompiler.Compile(DeviceRegistration);

/**
 * The gateway keeps only SHA-256(token) of each API token, so that digest is the signing key:
 * the gateway can verify without ever holding the token.
 */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function mac(reg: DeviceRegistration, key: Buffer): string {
  return createHmac('sha256', key).update(canonicalJson(reg)).digest('hex');
}

export function signRegistration(reg: DeviceRegistration, tokenName: string, token: string): SignedRegistration {
  return { registration: reg, signedBy: tokenName, signature: mac(reg, tokenDigest(token)) };
}

export function validateRegistration(value: unknown): Result<DeviceRegistration> {
  if (checkRegistration.Check(value)) return ok(value);
  const e = checkRegistration.Errors(value).First();
  const x = e && explainError(e);
  return fail('bad_schema', `registration: ${x?.path || '/'} ${x?.message ?? 'is invalid'}`, x?.path);
}

/** Check a registration file's shape; its signature needs the signer's key, looked up by `signedBy`. */
export function readSignedRegistration(value: unknown): Result<SignedRegistration> {
  if (checkSigned.Check(value)) return ok(value);
  const e = checkSigned.Errors(value).First();
  const x = e && explainError(e);
  return fail('bad_schema', `registration file: ${x?.path || '/'} ${x?.message ?? 'is invalid'}`, x?.path);
}

/** Check the signature of a file read by `readSignedRegistration`; `key` is SHA-256 of the named token, if it exists. */
export function verifyRegistration(file: SignedRegistration, key: Buffer | undefined): Result<SignedRegistration> {
  if (!key)
    return fail(
      'bad_signature',
      `registration was signed with token "${file.signedBy}", which this gateway does not know (revoked or renamed?)`,
    );
  const want = Buffer.from(mac(file.registration, key), 'hex');
  const got = Buffer.from(file.signature, 'hex');
  if (!timingSafeEqual(want, got))
    return fail(
      'bad_signature',
      'registration signature does not match: the file was changed after it was signed, or signed with another token',
    );
  return ok(file);
}
