import { afterEach, describe, expect, it } from 'vitest';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import { numberParameters, type SqlDatabase } from './sql.ts';

describe('SQL parameters for PostgreSQL', () => {
  it('numbers ? and @name, reusing a name, and leaves quotes and casts alone', () => {
    expect(numberParameters('SELECT ? , \'?\', "a?" WHERE x = ?').text).toBe('SELECT $1 , \'?\', "a?" WHERE x = $2');
    expect(numberParameters("SELECT @a, @b::jsonb, 'it''s @a', @a")).toEqual({
      text: "SELECT $1, $2::jsonb, 'it''s @a', $1",
      names: ['a', 'b'],
    });
    expect(() => numberParameters('SELECT ?, @a')).toThrow(/mixes/);
  });
});

describe.each(TEST_STORES)('SqlDatabase on $name', (store) => {
  afterEach(closeTestStores);

  const table = async (): Promise<SqlDatabase> => {
    const sql = await store.open();
    await sql.run(
      'CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL, b BYTEA_OR_BLOB)'.replace(
        'BYTEA_OR_BLOB',
        sql.dialect.name === 'postgres' ? 'BYTEA' : 'BLOB',
      ),
    );
    return sql;
  };

  it('binds positional, named and boolean parameters and reads rows and counts back as the other store does', async () => {
    const sql = await table();
    expect(await sql.run('INSERT INTO t (id, n, b) VALUES (?, ?, ?)', ['a', 1, Buffer.from([0, 255])])).toEqual({
      changes: 1,
    });
    expect(await sql.run('INSERT INTO t (id, n) VALUES (@id, @n) ON CONFLICT DO NOTHING', { id: 'a', n: 2 })).toEqual({
      changes: 0,
    });
    await sql.run('INSERT INTO t (id, n) VALUES (@id, @flag)', { id: 'b', flag: true });
    expect(await sql.get('SELECT count(*) AS n, sum(n) AS "total" FROM t')).toEqual({ n: 2, total: 2 });
    expect(await sql.all('SELECT id, n AS "theN", b FROM t ORDER BY id')).toEqual([
      { id: 'a', theN: 1, b: Buffer.from([0, 255]) },
      { id: 'b', theN: 1, b: null },
    ]);
    expect(await sql.get('SELECT id FROM t WHERE id = ?', ['zz'])).toBeUndefined();
    await expect(sql.get('SELECT id FROM t WHERE id = @id', {})).rejects.toThrow(/id/);
  });

  it('keeps a transaction all or nothing, and a failed one leaves concurrent writes alone', async () => {
    const sql = await table();
    const failing = sql.transaction(async (tx) => {
      await tx.run('INSERT INTO t (id, n) VALUES (?, ?)', ['x', 1]);
      await tx.run('INSERT INTO t (id, n) VALUES (?, ?)', ['x', 2]);
    });
    const other = sql.run('INSERT INTO t (id, n) VALUES (?, ?)', ['y', 1]);
    await expect(failing).rejects.toThrow();
    await other;
    expect(await sql.all('SELECT id FROM t ORDER BY id')).toEqual([{ id: 'y' }]);
  });

  it('runs concurrent read-then-write transactions that lock what they read as if one after the other', async () => {
    const sql = await table();
    await sql.run('INSERT INTO t (id, n) VALUES (?, 0)', ['c']);
    await Promise.all(
      Array.from({ length: 40 }, () =>
        sql.transaction(async (tx) => {
          const { n } = (await tx.get<{ n: number }>(`SELECT n FROM t WHERE id = ?${tx.dialect.forUpdate}`, ['c'])) as {
            n: number;
          };
          await tx.run('UPDATE t SET n = ? WHERE id = ?', [n + 1, 'c']);
        }),
      ),
    );
    expect(await sql.get('SELECT n FROM t WHERE id = ?', ['c'])).toEqual({ n: 40 });
  });
});
