import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * The key that encrypts evidence at rest (faces and plates are personal data). Made at first
 * start as 32 random bytes, readable by the gateway's user only; back it up with the data
 * directory's backups kept elsewhere, since images cannot be read without it.
 */
export function loadOrCreateKey(path: string): Buffer {
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`evidence key ${path} must hold 32 bytes in base64 (it holds ${key.length})`);
  return key;
}
