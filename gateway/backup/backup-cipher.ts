import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A backup file: one JSON header line, then the contents in frames sealed with AES-256-GCM under a
 * key derived from the county's backup passphrase (scrypt). Each frame's nonce is a random prefix
 * and its number, and the last frame is marked, so frames cannot be reordered, dropped or cut off
 * without the restore saying so. The header is bound to every frame (additional data).
 *   frame = u32 BE length of the ciphertext | ciphertext | 16-byte tag
 */
export interface BackupHeader {
  format: 'roadwarden-backup';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  noncePrefix: string;
  created: string;
  gatewayVersion: string;
}

const FRAME = 1 << 20;
const TAG = 16;
const KDF = { N: 1 << 15, r: 8, p: 1 };
/** The longest header a restore reads before it gives up on a file that is not a backup. */
const MAX_HEADER = 4096;

export class BackupFileError extends Error {
  readonly code = 'backup_file';
}

export const MIN_PASSPHRASE = 12;

function deriveKey(passphrase: string, kdf: BackupHeader['kdf']): Buffer {
  return scryptSync(passphrase, Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r,
  });
}

function nonce(prefix: Buffer, n: number, last: boolean): Buffer {
  const iv = Buffer.alloc(12);
  prefix.copy(iv, 0, 0, 7);
  iv.writeUInt32BE(n, 7);
  iv[11] = last ? 1 : 0;
  return iv;
}

/** Seals what is written into it as a backup file. */
export function sealBackup(passphrase: string, gatewayVersion: string): Transform {
  if (passphrase.length < MIN_PASSPHRASE)
    throw new BackupFileError(`the backup passphrase must have at least ${MIN_PASSPHRASE} characters`);
  const prefix = randomBytes(7);
  const header: BackupHeader = {
    format: 'roadwarden-backup',
    version: 1,
    kdf: { name: 'scrypt', ...KDF, salt: randomBytes(16).toString('base64') },
    noncePrefix: prefix.toString('base64'),
    created: new Date().toISOString(),
    gatewayVersion,
  };
  const headerLine = Buffer.from(`${JSON.stringify(header)}\n`);
  const key = deriveKey(passphrase, header.kdf);
  let pending: Buffer[] = [];
  let size = 0;
  let n = 0;
  const frame = (data: Buffer, last: boolean): Buffer => {
    const c = createCipheriv('aes-256-gcm', key, nonce(prefix, n++, last));
    c.setAAD(headerLine);
    const body = Buffer.concat([c.update(data), c.final()]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, body, c.getAuthTag()]);
  };
  return new Transform({
    construct(cb) {
      this.push(headerLine);
      cb();
    },
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      pending.push(chunk);
      size += chunk.length;
      while (size > FRAME) {
        const all = Buffer.concat(pending);
        this.push(frame(all.subarray(0, FRAME), false));
        pending = [all.subarray(FRAME)];
        size = pending[0].length;
      }
      cb();
    },
    flush(cb: TransformCallback) {
      this.push(frame(Buffer.concat(pending), true));
      cb();
    },
  });
}

/** Opens a backup file: the contents come out only as far as they check; a wrong passphrase or a damaged file fails. */
export function openBackup(passphrase: string, onHeader?: (h: BackupHeader) => void): Transform {
  let buf: Buffer = Buffer.alloc(0);
  let headerLine: Buffer | undefined;
  let key: Buffer | undefined;
  let prefix: Buffer | undefined;
  let n = 0;
  let ended = false;
  const readHeader = (): boolean => {
    const nl = buf.indexOf(10);
    if (nl < 0) {
      if (buf.length > MAX_HEADER) throw new BackupFileError('this is not a roadwarden backup file');
      return false;
    }
    headerLine = buf.subarray(0, nl + 1);
    let h: BackupHeader;
    try {
      h = JSON.parse(headerLine.toString('utf8')) as BackupHeader;
    } catch {
      throw new BackupFileError('this is not a roadwarden backup file');
    }
    if (h.format !== 'roadwarden-backup' || h.version !== 1 || h.kdf?.name !== 'scrypt')
      throw new BackupFileError(
        `this is not a roadwarden backup file this version can read (format ${h.format}, version ${h.version})`,
      );
    key = deriveKey(passphrase, h.kdf);
    prefix = Buffer.from(h.noncePrefix, 'base64');
    onHeader?.(h);
    buf = buf.subarray(nl + 1);
    return true;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        if (!headerLine && !readHeader()) return cb();
        while (buf.length >= 4) {
          const len = buf.readUInt32BE(0);
          if (len > FRAME) throw new BackupFileError('the backup file is damaged (a frame is too long)');
          if (buf.length < 4 + len + TAG) break;
          if (ended) throw new BackupFileError('the backup file has data after its end');
          const body = buf.subarray(4, 4 + len);
          const tag = buf.subarray(4 + len, 4 + len + TAG);
          buf = buf.subarray(4 + len + TAG);
          // The last frame is the one whose nonce says so: try "more to come" first, then "last".
          const plain = tryOpen(key!, prefix!, n, false, headerLine!, body, tag) ?? tryLast(body, tag);
          n++;
          this.push(plain);
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback) {
      if (!headerLine) return cb(new BackupFileError('this is not a roadwarden backup file'));
      if (!ended || buf.length) return cb(new BackupFileError('the backup file is cut off (its end is missing)'));
      cb();
    },
  });
  function tryLast(body: Buffer, tag: Buffer): Buffer {
    const plain = tryOpen(key!, prefix!, n, true, headerLine!, body, tag);
    if (!plain)
      throw new BackupFileError(
        n === 0
          ? 'wrong passphrase, or the backup file is damaged'
          : 'the backup file is damaged (a frame does not check)',
      );
    ended = true;
    return plain;
  }
}

function tryOpen(
  key: Buffer,
  prefix: Buffer,
  n: number,
  last: boolean,
  aad: Buffer,
  body: Buffer,
  tag: Buffer,
): Buffer | undefined {
  const d = createDecipheriv('aes-256-gcm', key, nonce(prefix, n, last));
  d.setAAD(aad);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    return undefined;
  }
}
