import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseKeyError, databaseKey, makePrivateDir, openSealedDatabase } from './sealed-database.ts';

describe('databases encrypted at rest', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-sealed-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const key = databaseKey(Buffer.alloc(32, 1), 'test.db');
  const secret = '鲁PA3N82 张三 13912345678';
  const holds = (file: string, text: string) => readFileSync(file).includes(Buffer.from(text));

  it('keeps rows, WAL and free pages unreadable without the key; the files are the owner’s only', () => {
    const dir = join(tmp(), 'data');
    makePrivateDir(dir);
    const path = join(dir, 'test.db');
    const db = openSealedDatabase(path, key);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (p TEXT)');
    db.prepare('INSERT INTO t VALUES (?)').run(secret);
    expect(holds(`${path}-wal`, '张三')).toBe(false);
    db.prepare('DELETE FROM t').run();
    db.close();
    expect(holds(path, '张三')).toBe(false);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => new Database(path).prepare('SELECT * FROM t').all()).toThrow(/not a database/);
  });

  it('encrypts in place a file written in clear by an earlier version, keeping what it holds', () => {
    const path = join(tmp(), 'old.db');
    const plain = new Database(path);
    plain.pragma('journal_mode = WAL');
    plain.exec('CREATE TABLE t (p TEXT)');
    plain.prepare('INSERT INTO t VALUES (?)').run(secret);
    plain.close();
    expect(holds(path, '张三')).toBe(true);
    const db = openSealedDatabase(path, key);
    expect(db.prepare('SELECT p FROM t').pluck().all()).toEqual([secret]);
    db.close();
    expect(holds(path, '张三')).toBe(false);
    const again = openSealedDatabase(path, key);
    expect(again.prepare('SELECT p FROM t').pluck().all()).toEqual([secret]);
    again.close();
  });

  it('refuses to open a file under another key, saying what to do, and leaves it as it was', () => {
    const path = join(tmp(), 'k.db');
    const db = openSealedDatabase(path, key);
    db.exec('CREATE TABLE t (p TEXT)');
    db.close();
    const before = readFileSync(path);
    expect(() => openSealedDatabase(path, databaseKey(Buffer.alloc(32, 2), 'test.db'))).toThrow(DatabaseKeyError);
    expect(() => openSealedDatabase(path, databaseKey(Buffer.alloc(32, 2), 'test.db'))).toThrow(/key file/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
