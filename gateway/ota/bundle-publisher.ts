import { copyFileSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File, verifyManifest } from '../../protocols/index.ts';
import type { Bundle, OtaStore } from './ota-store.ts';

export class BundleError extends Error {
  constructor(
    readonly code: 'no_key' | 'bad_signature' | 'not_the_signed_file' | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}

/** Where a published bundle's bytes are kept, by SHA-256. */
export const bundlePath = (dataDir: string, sha256: string): string => join(dataDir, 'ota', `${sha256}.tar.gz`);

/**
 * Publish a bundle: its signature checked with the key the boxes hold (a bundle they would refuse
 * never goes out), the file checked against the signed size and SHA-256, then kept by its hash.
 */
export async function publishBundle(
  file: string,
  signatureFile: string,
  o: { dataDir: string; store: OtaStore; publicKeyPem: string | undefined; by: string; now: Date },
): Promise<{ bundle: Bundle; outcome: 'published' | 'known' }> {
  if (!o.publicKeyPem)
    throw new BundleError('no_key', 'gateway.yaml has no ota.publicKey: set it to the key the boxes hold first');
  let signed: unknown;
  try {
    signed = JSON.parse(readFileSync(signatureFile, 'utf8'));
  } catch (e) {
    throw new BundleError('unreadable', `${signatureFile}: ${(e as Error).message}`);
  }
  if (!verifyManifest(signed, o.publicKeyPem))
    throw new BundleError(
      'bad_signature',
      `${signatureFile} is not signed with the key in ota.publicKey (or is malformed)`,
    );
  const m = signed.manifest;
  const size = statSync(file).size;
  const sha = await sha256File(file);
  if (size !== m.size || sha !== m.sha256)
    throw new BundleError(
      'not_the_signed_file',
      `${file} is ${size} bytes with SHA-256 ${sha}; the signature is for ${m.size} bytes with ${m.sha256}`,
    );
  const to = bundlePath(o.dataDir, sha);
  mkdirSync(join(o.dataDir, 'ota'), { recursive: true, mode: 0o700 });
  copyFileSync(file, `${to}.tmp`);
  renameSync(`${to}.tmp`, to);
  const bundle: Bundle = {
    sha256: sha,
    name: m.name,
    version: m.version,
    size,
    signed,
    publishedAt: o.now.toISOString(),
    publishedBy: o.by,
  };
  return { bundle, outcome: await o.store.publish(bundle) };
}
