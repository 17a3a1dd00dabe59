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
export function openDatabase(dataDir: string, storageKey: Buffer): Database.Database {
  makePrivateDir(dataDir);
  const db = openSealedDatabase(join(dataDir, 'gateway.db'), databaseKey(storageKey, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  try {
    applyMigrations(db, GATEWAY_MIGRATIONS);
  } catch (e) {
    db.close();
    throw e;
  }
  cacheStatements(db);
  return db;
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
export const openSqliteStore = (dataDir: string, storageKey: Buffer): SqliteSql =>
  new SqliteSql(openDatabase(dataDir, storageKey));
