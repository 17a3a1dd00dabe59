import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeBatch } from './write-batch.ts';

describe('group commit (WriteBatch)', () => {
  let dir: string;
  let db: Database.Database;
  const open = () => {
    const d = new Database(join(dir, 'x.db'));
    d.pragma('journal_mode = WAL');
    return d;
  };
  const count = (d: Database.Database) => (d.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rw-batch-'));
    db = open();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes of one turn together, and each writer learns only once it is on disk', async () => {
    const other = open();
    const b = writeBatch(db);
    const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
    const writes = Array.from({ length: 50 }, (_, i) => b.run(() => ins.run(`v${i}`)));
    // Not committed yet: another connection sees nothing; this one sees its own writes.
    expect(count(other)).toBe(0);
    expect(count(db)).toBe(50);
    await Promise.all(writes);
    expect(count(other)).toBe(50);
    other.close();
  });

  it('rolls back only the write that threw, and keeps the others of its batch', async () => {
    const b = writeBatch(db);
    const ins = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    const good = b.transaction(async () => ins.run(1, 'a'));
    const bad = b.transaction(async () => {
      ins.run(2, 'b');
      ins.run(1, 'duplicate id');
    });
    await expect(bad).rejects.toThrow(/UNIQUE/);
    await good;
    expect(db.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 1 }]);
  });

  it('commits what is pending when the connection closes', async () => {
    const b = writeBatch(db);
    const pending = b.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('last'));
    db.close();
    await pending;
    const again = open();
    expect(count(again)).toBe(1);
    again.close();
  });

  it('holds the connection for an asynchronous write: the batch is not committed halfway through it, others wait', async () => {
    const other = open();
    const b = writeBatch(db);
    const ins = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    let queuedRan = false;
    const tx = b.transaction(async () => {
      ins.run(1, 'first half');
      await new Promise((r) => setTimeout(r, 30)); // the batch's setImmediate fires meanwhile
      expect(count(other)).toBe(0);
      expect(queuedRan).toBe(false);
      ins.run(2, 'second half');
    });
    const queued = b.run(() => {
      queuedRan = true;
      return ins.run(3, 'after');
    });
    await Promise.all([tx, queued]);
    expect(count(other)).toBe(3);
    other.close();
  });
});
