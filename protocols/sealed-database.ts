import { hkdfSync } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { makeDir } from './make-dir.ts';

type DatabaseClass = typeof Database;
/** Loaded at the first open: commands that open no database (--help, --check-config) stay light. */
let SQLite: DatabaseClass | undefined;
const sqlite = (): DatabaseClass =>
  (SQLite ??= createRequire(import.meta.url)('better-sqlite3-multiple-ciphers') as DatabaseClass);

/** A key of its own for one database file, derived from a master key (HKDF-SHA256). */
export function databaseKey(master: Buffer, name: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `roadwarden database ${name}`, 32));
}

export class DatabaseKeyError extends Error {
  readonly code = 'database_key';
}

/**
 * Make a directory that only this user can enter (personal data lives in it), or close an existing
 * one to others.
 */
export function makePrivateDir(path: string): void {
  makeDir(path);
  chmodSync(path, 0o700);
}

/**
 * A SQLite file encrypted at rest: SQLite3 Multiple Ciphers encrypts and authenticates every page
 * (ChaCha20-Poly1305) of the database, its WAL and its free pages, so plates, names, phones,
 * face vectors and images are unreadable in a copied file or a backup. Readable by this user
 * only (SQLite gives the WAL and shared-memory files the database file's mode). A file an earlier
 * version wrote in clear is encrypted in place on the first open with a key. Without a key the
 * file is opened in clear (a box not yet given one).
 */
export function openSealedDatabase(path: string, key: Buffer | undefined): Database.Database {
  makeDir(dirname(path));
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  const db = new (sqlite())(path);
  if (!key) return db;
  withKey(db, key, 'hexkey');
  if (readable(db)) return db;
  db.close();
  encryptInPlace(path, key);
  const sealed = new (sqlite())(path);
  withKey(sealed, key, 'hexkey');
  return sealed;
}

function withKey(db: Database.Database, key: Buffer, pragma: 'hexkey' | 'hexrekey'): void {
  db.pragma("cipher = 'chacha20'");
  db.pragma(`${pragma} = '${key.toString('hex')}'`);
}

function readable(db: Database.Database): boolean {
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return true;
  } catch {
    return false;
  }
}

function encryptInPlace(path: string, key: Buffer): void {
  const plain = new (sqlite())(path);
  try {
    if (!readable(plain))
      throw new DatabaseKeyError(
        `${path} is encrypted under another key: was the key file changed or lost? Restore the key that belongs to this data`,
      );
    // Re-keying works in rollback-journal mode only; switching checkpoints the WAL into the file.
    plain.pragma('journal_mode = DELETE');
    withKey(plain, key, 'hexrekey');
  } finally {
    plain.close();
  }
}
