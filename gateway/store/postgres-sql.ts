import pg from 'pg';
import { POSTGRES } from './sql-dialect.ts';
import { type Migration, NewerDatabaseError } from './migration.ts';
import {
  numberParameters,
  type SqlDatabase,
  type SqlParams,
  type SqlQueryable,
  type SqlRunResult,
  type SqlValue,
} from './sql.ts';

/**
 * Values as SQLite gives them, so one store reads both the same: counts and sums (int8, numeric)
 * as numbers, JSON (json_object_agg, jsonb) as its text.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    switch (oid) {
      case pg.types.builtins.INT8:
      case pg.types.builtins.NUMERIC:
        return (v: string) => Number(v);
      case pg.types.builtins.JSON:
      case pg.types.builtins.JSONB:
        return (v: string) => v;
      default:
        return pg.types.getTypeParser(oid, format);
    }
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** A transaction that lost a race with a concurrent one (serialization failure, deadlock) is run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 20;

type Runner = Pick<pg.Pool | pg.PoolClient, 'query'>;

class Statements implements SqlQueryable {
  readonly dialect = POSTGRES;
  private static readonly translated = new Map<string, { text: string; names: string[] | null }>();

  constructor(protected readonly runner: Runner) {}

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  private query(sql: string, params: SqlParams | undefined): Promise<pg.QueryResult> {
    let t = Statements.translated.get(sql);
    if (!t) {
      t = numberParameters(sql);
      Statements.translated.set(sql, t);
    }
    return this.runner.query({ text: t.text, values: values(t.names, params, sql), types: TYPES });
  }
}

function values(names: string[] | null, params: SqlParams | undefined, sql: string): unknown[] {
  const v = (x: SqlValue | undefined): unknown => (typeof x === 'boolean' ? (x ? 1 : 0) : x);
  if (!params) return [];
  if (Array.isArray(params)) return (params as SqlValue[]).map(v);
  const byName = params as Record<string, SqlValue>;
  return (names ?? []).map((n) => {
    if (!(n in byName)) throw new Error(`missing parameter @${n} for: ${sql.slice(0, 80)}`);
    return v(byName[n]);
  });
}

export interface PostgresOptions {
  /** postgres://user@host:port/database (the password apart: `password`, PGPASSWORD or ~/.pgpass). */
  url: string;
  password?: string;
  /** Connections this process keeps (default 10). */
  poolSize?: number;
  /** Tables live in this schema (tests use one each); it is created if missing. */
  schema?: string;
}

/**
 * The PostgreSQL side of SqlDatabase, for gateway workers that share one database. Transactions
 * are SERIALIZABLE: a store's read-then-write (a case for an incident, a telemetry sequence gap)
 * is correct however many workers run it at once, and one that loses a race is run again.
 */
export class PostgresSql extends Statements implements SqlDatabase {
  private constructor(private readonly pool: pg.Pool) {
    super(pool);
  }

  static async connect(o: PostgresOptions): Promise<PostgresSql> {
    const schema = o.schema;
    if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema))
      throw new Error(`schema name ${schema} is not a plain identifier`);
    const pool = new pg.Pool({
      connectionString: o.url,
      ...(o.password !== undefined ? { password: o.password } : {}),
      max: o.poolSize ?? 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle connection the server dropped must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    try {
      if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      else await pool.query('SELECT 1');
    } catch (e) {
      await pool.end();
      throw new Error(`cannot reach PostgreSQL at ${redact(o.url)}: ${(e as Error).message}`);
    }
    return new PostgresSql(pool);
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        const result = await fn(new Statements(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        const code = (e as { code?: string }).code;
        if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      } finally {
        client.release();
      }
    }
  }

  /**
   * Bring every module's tables up to date: each module's changes newer than the version recorded
   * for it, in one transaction per module. Workers starting together take turns (an advisory lock),
   * and a database written by a newer gateway is refused as SQLite's is.
   */
  async migrate(schemas: readonly ModuleSchema[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', ['roadwarden.migrate']);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL, at TEXT NOT NULL)',
      );
      for (const s of schemas) await migrateModule(client, s);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['roadwarden.migrate']).catch(() => {});
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** One module's PostgreSQL schema changes (versions count per module). */
export interface ModuleSchema {
  module: string;
  migrations: Migration[];
}

async function migrateModule(client: pg.PoolClient, s: ModuleSchema): Promise<void> {
  const latest = Math.max(0, ...s.migrations.map((m) => m.version));
  const row = (await client.query('SELECT version FROM schema_versions WHERE module = $1', [s.module])).rows[0] as
    | { version: number }
    | undefined;
  const current = row?.version ?? 0;
  if (current > latest)
    throw new NewerDatabaseError(
      `the ${s.module} tables have schema version ${current}, newer than this gateway knows (${latest}): they were written by a newer roadwarden. ` +
        'Run that version, or restore the backup taken before the upgrade.',
    );
  const todo = s.migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  if (!todo.length) return;
  await client.query('BEGIN');
  try {
    for (const m of todo) await client.query(m.sql);
    await client.query(
      `INSERT INTO schema_versions (module, version, at) VALUES ($1, $2, $3)
       ON CONFLICT (module) DO UPDATE SET version = excluded.version, at = excluded.at`,
      [s.module, latest, new Date().toISOString()],
    );
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}

/** A URL as it may be logged: without a password. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured storage.url';
  }
}
