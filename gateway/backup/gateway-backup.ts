import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { type DatabaseSummary, snapshotDatabase } from '../store/snapshot.ts';
import { sealBackup } from './backup-cipher.ts';

/** The SQLite files of a data dir, copied as consistent snapshots (VACUUM INTO) while the gateway runs. */
export const DATABASES = ['gateway.db', 'broker.db'];
/** Never in a backup: the live database files (their snapshots are), the backups taken before migrations. */
const SKIPPED_AT_ROOT = /^(?:gateway|broker)\.db(?:-wal|-shm|-journal)?$|^backups$|^\.backup-/;
/** Files being written (aside, before their rename). */
const IN_PROGRESS = /\.tmp(?:-\d+)?$/;

export interface BackupEntry {
  /** data/… (the data dir), keys/evidence.key (a key file kept outside it) or config/gateway.yaml. */
  name: string;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  gatewayVersion: string;
  created: string;
  /** The schema version of gateway.db (SQLite's user_version). */
  schemaVersion: number;
  /** Rows per table of gateway.db, to compare after a restore. */
  rows: Record<string, number>;
  entries: BackupEntry[];
  /** Set when the gateway keeps its tables in PostgreSQL: they are not in this file. */
  database?: string;
}

export interface BackupSource {
  dataDir: string;
  storageKey: Buffer;
  /** evidence.keyFile when the storage key lives outside the data dir. */
  keyFile?: string;
  /** gateway.yaml, kept in the backup so a restore on a new server has it. */
  configFile?: string;
  /** The PostgreSQL URL when the tables live there (backed up with pg_dump instead). */
  storageUrl?: string;
}

export type BackupProgress = (entry: string, done: number, total: number) => void;

function files(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if ((dir === root && SKIPPED_AT_ROOT.test(d.name)) || IN_PROGRESS.test(d.name)) return [];
    if (d.isDirectory()) return files(p, root);
    return d.isFile() ? [p] : [];
  });
}

function snapshot(src: BackupSource, tmp: string): { files: Map<string, string> } & DatabaseSummary {
  const files = new Map<string, string>();
  let summary: DatabaseSummary = { schemaVersion: 0, rows: {} };
  for (const name of DATABASES) {
    const path = join(src.dataDir, name);
    if (!existsSync(path)) continue;
    const s = snapshotDatabase(path, src.storageKey, name, join(tmp, name));
    files.set(`data/${name}`, join(tmp, name));
    if (name === 'gateway.db') summary = s;
  }
  return { files, ...summary };
}

/**
 * One encrypted file with everything a gateway needs to come back on another server: snapshots of
 * its databases, the evidence files (already encrypted under the storage key), the keys and the
 * config. Written aside and renamed, so a backup cut short never looks like a good one.
 */
export async function writeBackup(
  src: BackupSource,
  out: string,
  passphrase: string,
  gatewayVersion: string,
  progress?: BackupProgress,
): Promise<BackupManifest> {
  const cipher = sealBackup(passphrase, gatewayVersion);
  const tmp = mkdtempSync(join(src.dataDir, '.backup-'));
  const partial = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  try {
    const snap = src.storageUrl ? { files: new Map<string, string>(), schemaVersion: 0, rows: {} } : snapshot(src, tmp);
    const items = new Map<string, string>(snap.files);
    for (const f of files(src.dataDir)) items.set(`data/${relative(src.dataDir, f)}`, f);
    if (src.keyFile && !items.has(`data/${relative(src.dataDir, src.keyFile)}`))
      items.set('keys/evidence.key', src.keyFile);
    if (src.configFile) items.set('config/gateway.yaml', src.configFile);
    const pack = tar.pack();
    const written = pipeline(pack, cipher, createWriteStream(partial, { mode: 0o600 }));
    const entries: BackupEntry[] = [];
    let done = 0;
    for (const [name, path] of items) {
      progress?.(name, done++, items.size);
      entries.push(await addFile(pack, name, path));
    }
    const manifest: BackupManifest = {
      gatewayVersion,
      created: new Date().toISOString(),
      schemaVersion: snap.schemaVersion,
      rows: snap.rows,
      entries,
      ...(src.storageUrl ? { database: redactUrl(src.storageUrl) } : {}),
    };
    pack.entry({ name: 'manifest.json', mode: 0o600 }, `${JSON.stringify(manifest, null, 2)}\n`);
    pack.finalize();
    await written;
    renameSync(partial, out);
    return manifest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

async function addFile(pack: tar.Pack, name: string, path: string): Promise<BackupEntry> {
  const size = statSync(path).size;
  const hash = createHash('sha256');
  const entry = pack.entry({ name, size, mode: 0o600 });
  const read = createReadStream(path);
  read.on('data', (c) => hash.update(c));
  await pipeline(read, entry);
  return { name, bytes: size, sha256: hash.digest('hex') };
}

const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//…@');
