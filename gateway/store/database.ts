import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { databaseKey, makePrivateDir, openSealedDatabase } from '../../protocols/index.ts';
import { GATEWAY_MIGRATIONS } from '../migrations.ts';
import { applyMigrations } from './migration.ts';
import { SqliteSql } from './sqlite-sql.ts';

/**
 * The gateway's SQLite database in dataDir (WAL, foreign keys on), migrated to the current schema,
 * encrypted at rest under a key derived from the storage key (the evidence key).
 * synchronous = FULL: a stored alarm survives a power cut, not only a crash. Group commit
 * (write-batch.ts) makes that one fsync per event-loop turn rather than one per write.
 */
export function openDatabase(
  dataDir: string,
  storageKey: Buffer,
  onMigrationBackup?: MigrationBackupHook,
): Database.Database {
  makePrivateDir(dataDir);
  const db = openSealedDatabase(join(dataDir, 'gateway.db'), databaseKey(storageKey, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  try {
    applyMigrations(db, GATEWAY_MIGRATIONS, (from, to) =>
      onMigrationBackup?.(backUpBeforeMigrating(db, dataDir, from), from, to),
    );
  } catch (e) {
    db.close();
    throw e;
  }
  cacheStatements(db);
  return db;
}

/** Told where the copy of the database before a schema change was kept. */
export type MigrationBackupHook = (path: string, from: number, to: number) => void;

/** How many pre-migration copies a data dir keeps (oldest removed first). */
const KEPT_MIGRATION_BACKUPS = 3;

/**
 * A copy of gateway.db as the older version left it, taken before an upgrade changes its schema:
 * backups/gateway.db.v<from>-<time>, encrypted under the same key. Rolling back is then stopping,
 * putting the copy back as gateway.db and starting the older version (docs/county/upgrade.md).
 */
function backUpBeforeMigrating(db: Database.Database, dataDir: string, from: number): string {
  const dir = join(dataDir, 'backups');
  makePrivateDir(dir);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `gateway.db.v${from}-${stamp}`);
  db.prepare('VACUUM INTO ?').run(path);
  const old = readdirSync(dir)
    .filter((f) => f.startsWith('gateway.db.v'))
    .sort((a, b) => statSync(join(dir, a)).mtimeMs - statSync(join(dir, b)).mtimeMs);
  for (const f of old.slice(0, Math.max(0, old.length - KEPT_MIGRATION_BACKUPS))) rmSync(join(dir, f));
  return path;
}

/**
 * better-sqlite3 compiles the SQL on every prepare(); the gateway prepares the same few dozen
 * statements thousands of times a second under alarm load, so each is compiled once and reused.
 * (Safe because nothing here keeps a statement's iterator open across calls.)
 */
function cacheStatements(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let st = cache.get(sql);
    if (!st) {
      st = prepare(sql);
      cache.set(sql, st);
    }
    return st;
  }) as typeof db.prepare;
}

/** The gateway's SQLite database as the stores take it (store/sql.ts). */
export const openSqliteStore = (
  dataDir: string,
  storageKey: Buffer,
  onMigrationBackup?: MigrationBackupHook,
): SqliteSql => new SqliteSql(openDatabase(dataDir, storageKey, onMigrationBackup));
