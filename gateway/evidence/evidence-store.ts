import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makePrivateDir, sha256Hex } from '../../protocols/index.ts';
import type { SqlDatabase } from '../store/sql.ts';
import { seal, unseal } from './sealed.ts';

export type PutOutcome = 'stored' | 'duplicate';

/**
 * Evidence images on disk, addressed by the SHA-256 of their plain bytes and encrypted with
 * AES-256-GCM (file = 12-byte nonce, ciphertext, 16-byte tag). The same image sent twice is
 * stored once. Reading checks the tag and the hash, so a file changed on disk is caught.
 * Retention: images older than `retentionDays` are deleted unless a case that uses them is open.
 */
export class EvidenceStore {
  constructor(
    private readonly sql: SqlDatabase,
    private readonly dir: string,
    private readonly key: Buffer,
    private readonly now: () => Date = () => new Date(),
  ) {
    makePrivateDir(dir);
  }

  /** Store checked bytes (see checkImage). */
  async put(deviceId: string, sha256: string, jpeg: Uint8Array): Promise<PutOutcome> {
    if (await this.has(sha256)) return 'duplicate';
    const path = this.pathOf(sha256);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const body = seal(this.key, jpeg);
    // Write then rename: a crash never leaves half a file under the image's name.
    // Workers sharing the directory may write the same image at once: each through its own file.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, body, { mode: 0o600 });
    renameSync(tmp, path);
    await this.sql.run(
      'INSERT INTO evidence_images (sha256, device_id, bytes, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [sha256, deviceId, jpeg.byteLength, this.now().toISOString()],
    );
    return 'stored';
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.sql.get('SELECT 1 AS x FROM evidence_images WHERE sha256 = ?', [sha256])) !== undefined;
  }

  /** The plain JPEG, or undefined when unknown; throws when the file was altered or the key is wrong. */
  async get(sha256: string): Promise<Buffer | undefined> {
    if (!(await this.has(sha256))) return undefined;
    const plain = unseal(this.key, readFileSync(this.pathOf(sha256)));
    if (sha256Hex(plain) !== sha256) throw new Error(`evidence image ${sha256} does not match its hash`);
    return plain;
  }

  /** Delete images past retention that no open case needs; returns how many went. */
  async sweep(retentionDays: number): Promise<number> {
    const cutoff = new Date(this.now().getTime() - retentionDays * 86_400_000).toISOString();
    const d = this.sql.dialect;
    const old = await this.sql.all<{ sha256: string }>(
      `SELECT i.sha256 FROM evidence_images i WHERE i.received_at < ? AND NOT EXISTS (
         SELECT 1 FROM evidence e JOIN cases c ON c.event_id = e.event_id AND c.closed_at IS NULL, ${d.eachElement('e.body', 'images', 'img')}
         WHERE ${d.jsonText('img.value', 'sha256')} = i.sha256)`,
      [cutoff],
    );
    for (const { sha256 } of old) {
      rmSync(this.pathOf(sha256), { force: true });
      await this.sql.run('DELETE FROM evidence_images WHERE sha256 = ?', [sha256]);
    }
    return old.length;
  }

  private pathOf(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), `${sha256}.jpg.enc`);
  }
}
