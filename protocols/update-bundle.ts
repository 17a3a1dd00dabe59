import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * What a box can be updated with: its agent (a release, scripts/release.ts), its vision models (a
 * folder with models.yaml) or the county's config template (template.yaml). Each kind's bundle is
 * named for it, so a signed name cannot pass for another kind.
 */
export const BUNDLE_KINDS = {
  agent: 'roadwarden-edge',
  models: 'roadwarden-models',
  config: 'roadwarden-config',
} as const;
export type BundleKind = keyof typeof BUNDLE_KINDS;

const VERSION = '[0-9A-Za-z.+-]{1,40}';

/** The kind and version a bundle's file or top folder name says (`roadwarden-models-2026.12.tar.gz`). */
export function bundleNameOf(file: string): { kind: BundleKind; name: string; version: string } | undefined {
  const m = new RegExp(`^(roadwarden-(edge|models|config)-(${VERSION}))$`).exec(file.replace(/\.tar\.gz$/, ''));
  if (!m) return undefined;
  const kind = (Object.keys(BUNDLE_KINDS) as BundleKind[]).find((k) => BUNDLE_KINDS[k] === `roadwarden-${m[2]}`)!;
  return { kind, name: m[1]!, version: m[3]! };
}

/**
 * What a signed update bundle is: the county's update key signs this manifest (Ed25519), the
 * manifest names the bundle's bytes by SHA-256, and a box checks both with the public key it holds
 * before it unpacks anything. The bundle itself is a tarball of one folder, `name`.
 */
export const UpdateManifest = Type.Object(
  {
    kind: Type.Union(Object.keys(BUNDLE_KINDS).map((k) => Type.Literal(k as BundleKind))),
    /** the bundle's top folder: roadwarden-edge-<version>, roadwarden-models-<version>, roadwarden-config-<version> */
    name: Type.String({ pattern: `^roadwarden-(edge|models|config)-${VERSION}$` }),
    version: Type.String({ pattern: `^${VERSION}$` }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    size: Type.Integer({ minimum: 1, maximum: 512 * 1024 * 1024 }),
  },
  { additionalProperties: false },
);
export type UpdateManifest = Static<typeof UpdateManifest>;

/** A bundle's signature file (`<bundle>.sig.json`): the manifest and its Ed25519 signature, base64. */
export const SignedManifest = Type.Object(
  { manifest: UpdateManifest, signature: Type.String({ pattern: '^[A-Za-z0-9+/]{86}==$' }) },
  { additionalProperties: false },
);
export type SignedManifest = Static<typeof SignedManifest>;

const signedCheck = TypeCompiler.Compile(SignedManifest);

/** The bytes signed: the fields in a fixed order, so the same manifest always signs the same. */
export function manifestBytes(m: UpdateManifest): Buffer {
  return Buffer.from(JSON.stringify([m.kind, m.name, m.version, m.sha256, m.size]));
}

export function signManifest(m: UpdateManifest, privateKeyPem: string): SignedManifest {
  return { manifest: m, signature: sign(null, manifestBytes(m), createPrivateKey(privateKeyPem)).toString('base64') };
}

/** True only for a well-formed manifest whose signature the key accepts. */
export function verifyManifest(s: unknown, publicKey: string | KeyObject): s is SignedManifest {
  if (!signedCheck.Check(s)) return false;
  const named = bundleNameOf(s.manifest.name);
  if (named?.kind !== s.manifest.kind || named.version !== s.manifest.version) return false;
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return verify(null, manifestBytes(s.manifest), key, Buffer.from(s.signature, 'base64'));
}

/** A new update key pair, PEM (PKCS#8 private, SPKI public). */
export function generateUpdateKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
