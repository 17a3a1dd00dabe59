import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseKey, openSealedDatabase } from '../../protocols/index.ts';
import { GATEWAY_MIGRATIONS } from '../migrations.ts';
import { openDatabase } from './database.ts';
import { applyMigrations, NewerDatabaseError } from './migration.ts';
import { TEST_STORAGE_KEY } from '../../sim/testing/storage-key.ts';

const schemaOf = (db: Database.Database) =>
  (
    db
      .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all() as Array<{ sql: string }>
  ).map((r) => r.sql);

describe('module migrations', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-mig-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('brings a database of any earlier version to the same schema as a new one', () => {
    const fresh = openDatabase(tmp(), TEST_STORAGE_KEY);
    const want = schemaOf(fresh);
    const latest = fresh.pragma('user_version', { simple: true });
    fresh.close();
    expect(want.length).toBeGreaterThan(20);
    for (const at of [1, 5, 8, 12, 21]) {
      const dir = tmp();
      const old = new Database(join(dir, 'gateway.db'));
      applyMigrations(
        old,
        GATEWAY_MIGRATIONS.filter((m) => m.version <= at),
      );
      expect(old.pragma('user_version', { simple: true })).toBe(at);
      old.close();
      const db = openDatabase(dir, TEST_STORAGE_KEY);
      expect(schemaOf(db)).toEqual(want);
      expect(db.pragma('user_version', { simple: true })).toBe(latest);
      db.close();
    }
  });

  it('numbers the face descriptors of a database from before version 22, keeping them', () => {
    const dir = tmp();
    const old = new Database(join(dir, 'gateway.db'));
    applyMigrations(
      old,
      GATEWAY_MIGRATIONS.filter((m) => m.version <= 21),
    );
    const insert = old.prepare(
      "INSERT INTO faces (evidence_id, idx, device_id, captured_at, model, plate, vector) VALUES (?, 1, 'd', 'x', 'faceres', ?, ?)",
    );
    insert.run('ev-1', '鲁PA0001', Buffer.from([1, 2, 3]));
    insert.run('ev-2', null, Buffer.from([4]));
    old.close();
    const db = openDatabase(dir, TEST_STORAGE_KEY);
    expect(db.prepare('SELECT seq, evidence_id AS id, plate, vector FROM faces ORDER BY seq').all()).toEqual([
      { seq: 1, id: 'ev-1', plate: '鲁PA0001', vector: Buffer.from([1, 2, 3]) },
      { seq: 2, id: 'ev-2', plate: null, vector: Buffer.from([4]) },
    ]);
    db.close();
  });

  it('refuses a database written by a newer gateway and leaves its version alone', () => {
    const dir = tmp();
    const db = new Database(join(dir, 'gateway.db'));
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(dir, TEST_STORAGE_KEY)).toThrow(NewerDatabaseError);
    expect(() => openDatabase(dir, TEST_STORAGE_KEY)).toThrow(/schema version 999, newer than this gateway knows/);
    const again = openSealedDatabase(join(dir, 'gateway.db'), databaseKey(TEST_STORAGE_KEY, 'gateway.db'));
    expect(again.pragma('user_version', { simple: true })).toBe(999);
    again.close();
  });

  it('keeps a copy of the database as it was before a schema change, and none when nothing changes', () => {
    const dir = tmp();
    const old = new Database(join(dir, 'gateway.db'));
    applyMigrations(
      old,
      GATEWAY_MIGRATIONS.filter((m) => m.version <= 21),
    );
    old.prepare("INSERT INTO devices (id, name) VALUES ('box-1', 'old box')").run();
    old.close();
    const told: Array<[string, number, number]> = [];
    const db = openDatabase(dir, TEST_STORAGE_KEY, (...a) => told.push(a));
    const latest = db.pragma('user_version', { simple: true }) as number;
    db.close();
    expect(told).toHaveLength(1);
    const [path, from, to] = told[0];
    expect([from, to]).toEqual([21, latest]);
    expect(path).toMatch(/backups\/gateway\.db\.v21-/);
    // The copy is the old schema with its rows, sealed under the same key (unreadable without it).
    const copy = openSealedDatabase(path, databaseKey(TEST_STORAGE_KEY, 'gateway.db'));
    expect(copy.pragma('user_version', { simple: true })).toBe(21);
    expect(copy.prepare('SELECT name FROM devices').all()).toEqual([{ name: 'old box' }]);
    copy.close();
    expect(() => new Database(path).prepare('SELECT count(*) FROM sqlite_master').get()).toThrow();
    openDatabase(dir, TEST_STORAGE_KEY, (...a) => told.push(a)).close();
    openDatabase(tmp(), TEST_STORAGE_KEY, (...a) => told.push(a)).close();
    expect(told).toHaveLength(1);
  });

  it('gives each table to one module', () => {
    const owners = new Map<string, number>();
    for (const m of GATEWAY_MIGRATIONS)
      for (const [, t] of m.sql.matchAll(/CREATE TABLE (\w+)/g)) owners.set(t, (owners.get(t) ?? 0) + 1);
    expect(owners.size).toBeGreaterThan(15);
    expect([...owners].filter(([, n]) => n !== 1)).toEqual([]);
  });
});
