import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeDir } from '../../protocols/index.ts';

/**
 * A 32-byte secret in a file beside the data (never in the config): made at first use, readable by
 * the gateway's user only. The evidence key encrypts faces and plates at rest; the device-auth
 * key hashes device passwords. Back them up with the data directory's backups, kept elsewhere.
 */
export function loadOrCreateKey(path: string, what = 'evidence key'): Buffer {
  if (!existsSync(path)) {
    makeDir(dirname(path));
    try {
      writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another process (the CLI beside a running gateway) made it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${what} ${path} must hold 32 bytes in base64 (it holds ${key.length})`);
  return key;
}

/**
 * The key everything personal at rest is encrypted under: evidence images, face descriptors and,
 * through keys derived from it, gateway.db and broker.db. `evidence.keyFile`, else in the data dir.
 */
export function loadStorageKey(config: { evidence?: { keyFile?: string } }, dataDir: string): Buffer {
  return loadOrCreateKey(config.evidence?.keyFile ?? join(dataDir, 'evidence.key'));
}
