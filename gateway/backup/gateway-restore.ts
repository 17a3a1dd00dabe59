import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { makePrivateDir } from '../../protocols/index.ts';
import { summarizeDatabase } from '../store/snapshot.ts';
import { BackupFileError, type BackupHeader, openBackup } from './backup-cipher.ts';
import type { BackupEntry, BackupManifest } from './gateway-backup.ts';

export class RestoreError extends Error {
  readonly code = 'restore';
}

export interface RestoreTarget {
  /** Must be empty or missing: a restore never mixes a backup with other data. */
  dataDir: string;
  /** evidence.keyFile of the config in force, when the storage key lives outside the data dir. */
  keyFile?: string;
  /** Where to write the gateway.yaml kept in the backup, if wanted. */
  configOut?: string;
}

const MAX_MANIFEST = 16 << 20;

/** Where an entry of the backup goes, or why it may not go anywhere (a crafted file cannot write outside). */
function placeOf(name: string): { kind: 'data' | 'key' | 'config' | 'manifest'; rel: string } {
  if (name === 'manifest.json') return { kind: 'manifest', rel: name };
  if (name === 'keys/evidence.key') return { kind: 'key', rel: name };
  if (name === 'config/gateway.yaml') return { kind: 'config', rel: name };
  const rel = name.startsWith('data/') ? normalize(name.slice(5)) : '';
  if (!rel || rel.startsWith('..') || rel.startsWith('/') || rel.includes('\0'))
    throw new BackupFileError(`the backup holds an entry that may not be restored: ${JSON.stringify(name)}`);
  return { kind: 'data', rel };
}

/**
 * A backup back into a data dir: everything is unpacked aside, checked (every file against the
 * manifest, the database against the key it came with) and only then renamed into place, so a
 * wrong passphrase or a damaged file leaves the server as it was. Nothing is migrated: the version
 * that made the backup (or a newer one) opens it next.
 */
export async function restoreBackup(
  file: string,
  passphrase: string,
  target: RestoreTarget,
  progress?: (entry: string) => void,
): Promise<{ manifest: BackupManifest; header: BackupHeader }> {
  if (existsSync(target.dataDir) && readdirSync(target.dataDir).length)
    throw new RestoreError(
      `${target.dataDir} is not empty: stop the gateway and move the data dir aside (e.g. mv ${target.dataDir} ${target.dataDir}.old) before restoring`,
    );
  if (target.configOut && existsSync(target.configOut))
    throw new RestoreError(`${target.configOut} exists: name a new file for the restored config`);
  const tmp = `${target.dataDir}.restore-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  makePrivateDir(tmp);
  try {
    let header: BackupHeader | undefined;
    const got = new Map<string, BackupEntry>();
    let manifest: BackupManifest | undefined;
    let key: Buffer | undefined;
    let config: Buffer | undefined;
    const extract = tar.extract();
    extract.on('entry', (h, stream, next) => {
      void (async () => {
        if (h.type !== 'file')
          throw new BackupFileError(`the backup holds a ${h.type} entry (${h.name}): only files are restored`);
        const place = placeOf(h.name);
        progress?.(h.name);
        if (place.kind === 'data') {
          const to = join(tmp, place.rel);
          makePrivateDir(dirname(to));
          const hash = createHash('sha256');
          let bytes = 0;
          await pipeline(
            async function* () {
              for await (const c of stream as AsyncIterable<Buffer>) {
                hash.update(c);
                bytes += c.length;
                yield c;
              }
            },
            createWriteStream(to, { mode: 0o600 }),
          );
          got.set(h.name, { name: h.name, bytes, sha256: hash.digest('hex') });
        } else {
          const body = await collect(
            stream as AsyncIterable<Buffer>,
            place.kind === 'manifest' ? MAX_MANIFEST : 1 << 20,
          );
          if (place.kind === 'manifest') manifest = JSON.parse(body.toString('utf8')) as BackupManifest;
          else {
            got.set(h.name, {
              name: h.name,
              bytes: body.length,
              sha256: createHash('sha256').update(body).digest('hex'),
            });
            if (place.kind === 'key') key = body;
            else config = body;
          }
        }
      })().then(() => next(), next);
    });
    await pipeline(
      createReadStream(file),
      openBackup(passphrase, (h) => (header = h)),
      extract,
    );
    if (!manifest) throw new BackupFileError('the backup file has no manifest: it was not finished');
    checkAgainstManifest(manifest, got);
    const storageKey = keyOf(key ?? readOptional(join(tmp, 'evidence.key')));
    checkDatabase(tmp, storageKey, manifest);
    if (key && target.keyFile) placeKey(target.keyFile, key);
    if (existsSync(target.dataDir)) rmdirSync(target.dataDir);
    mkdirSync(dirname(target.dataDir), { recursive: true });
    renameSync(tmp, target.dataDir);
    if (config && target.configOut) writeFileSync(target.configOut, config, { mode: 0o600, flag: 'wx' });
    return { manifest, header: header! };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function collect(stream: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += c.length;
    if (n > max) throw new BackupFileError('the backup holds an entry larger than it may be');
    parts.push(c);
  }
  return Buffer.concat(parts);
}

function checkAgainstManifest(manifest: BackupManifest, got: Map<string, BackupEntry>): void {
  for (const e of manifest.entries) {
    const g = got.get(e.name);
    if (!g) throw new BackupFileError(`the backup lacks ${e.name}, which its manifest lists`);
    if (g.sha256 !== e.sha256 || g.bytes !== e.bytes)
      throw new BackupFileError(`${e.name} in the backup does not match its manifest`);
  }
  for (const name of got.keys())
    if (!manifest.entries.some((e) => e.name === name))
      throw new BackupFileError(`${name} in the backup is not in its manifest`);
}

const readOptional = (path: string): Buffer | undefined => (existsSync(path) ? readFileSync(path) : undefined);

function keyOf(file: Buffer | undefined): Buffer {
  const key = file ? Buffer.from(file.toString('utf8').trim(), 'base64') : Buffer.alloc(0);
  if (key.length !== 32)
    throw new BackupFileError('the backup holds no storage key (evidence.key): it cannot be opened');
  return key;
}

/** The restored database opens with the restored key and has the schema and rows the manifest says. */
function checkDatabase(dir: string, storageKey: Buffer, manifest: BackupManifest): void {
  const path = join(dir, 'gateway.db');
  if (!existsSync(path)) {
    if (manifest.database) return;
    throw new BackupFileError('the backup holds no gateway.db');
  }
  const now = summarizeDatabase(path, storageKey, 'gateway.db');
  if (now.schemaVersion !== manifest.schemaVersion)
    throw new BackupFileError(
      `gateway.db has schema version ${now.schemaVersion}, the manifest says ${manifest.schemaVersion}`,
    );
  for (const [table, n] of Object.entries(manifest.rows))
    if (now.rows[table] !== n)
      throw new BackupFileError(`gateway.db table ${table} has ${now.rows[table]} rows, the manifest says ${n}`);
}

/** The storage key outside the data dir: put back where the config wants it, never over a different one. */
function placeKey(path: string, key: Buffer): void {
  if (existsSync(path)) {
    if (readFileSync(path).toString().trim() !== key.toString().trim())
      throw new RestoreError(
        `${path} holds another key than the backup's: the restored data could not be read with it. Move it aside first`,
      );
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, key, { mode: 0o600, flag: 'wx' });
}
