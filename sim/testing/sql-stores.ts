import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_PG_SCHEMAS, openSqliteStore, PostgresSql, type SqlDatabase } from '../../gateway/index.ts';
import { TEST_STORAGE_KEY } from './storage-key.ts';

/**
 * The machine's PostgreSQL (trust auth on loopback); RW_TEST_PG_URL points elsewhere. Each test
 * database is a schema of its own, dropped when the test is done.
 */
export const TEST_PG_URL = process.env.RW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  name: 'sqlite' | 'postgres';
  /** A new, empty, migrated gateway database. */
  open(): Promise<SqlDatabase>;
}

let schemas = 0;

/** A fresh PostgreSQL schema with every module's tables; dropped by `dropTestSchema`. */
export async function openTestPostgres(): Promise<PostgresSql & { schema: string }> {
  const schema = `rw_t_${process.pid}_${Date.now().toString(36)}_${schemas++}`;
  const sql = await PostgresSql.connect({ url: TEST_PG_URL, schema, poolSize: 4 });
  await sql.migrate(GATEWAY_PG_SCHEMAS);
  return Object.assign(sql, { schema });
}

/** Both kinds of store; call `closeTestStores()` in afterEach. */
export const TEST_STORES: TestStore[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'rw-sql-'));
      const sql = openSqliteStore(dir, TEST_STORAGE_KEY);
      cleanups.push(async () => {
        await sql.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return sql;
    },
  },
  {
    name: 'postgres',
    async open() {
      const sql = await openTestPostgres();
      cleanups.push(async () => {
        await sql.close();
        await dropSchema(sql.schema);
      });
      return sql;
    },
  },
];

const cleanups: Array<() => Promise<void>> = [];

export async function closeTestStores(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/**
 * A gateway.yaml `storage` section on a PostgreSQL schema of its own (the gateway creates and
 * migrates it); `drop` removes it after the test.
 */
export function testPgStorage(url = TEST_PG_URL): { storage: { url: string; schema: string }; drop(): Promise<void> } {
  const schema = `rw_t_${process.pid}_${Date.now().toString(36)}_${schemas++}`;
  return {
    storage: { url, schema },
    drop: () => dropSchema(schema, url),
  };
}

async function dropSchema(schema: string, url = TEST_PG_URL): Promise<void> {
  const admin = await PostgresSql.connect({ url, poolSize: 1 });
  await admin.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
}

/** One kind of store, opened as in TEST_STORES (closed by `closeTestStores()`). */
export function openTestStore(name: TestStore['name']): Promise<SqlDatabase> {
  return (TEST_STORES.find((s) => s.name === name) as TestStore).open();
}
