import pg from 'pg';
import { channelName, PgListener } from './pg-listener.ts';
import { POSTGRES } from './sql-dialect.ts';
import { type Migration, NewerDatabaseError } from './migration.ts';
import {
  type HeldLock,
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

/**
 * A transaction that lost a race with a concurrent one is run again: a deadlock, a serialization
 * failure, or a unique key another transaction took first (the check-then-insert of a case for an
 * incident, say: run again, it finds that case). A unique key that is really taken fails for good
 * after a few tries.
 */
const RACES = new Set(['40001', '40P01']);
const UNIQUE = '23505';
const UNIQUE_ATTEMPTS = 3;
const MAX_ATTEMPTS = 20;
const codeOf = (e: unknown): string => (e as { code?: string }).code ?? '';
const isRetryable = (e: unknown): boolean => RACES.has(codeOf(e)) || codeOf(e) === UNIQUE;
/** Transactions committed together at most. */
const MAX_BATCH = 64;

interface Job {
  fn: (tx: SqlQueryable) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  attempts: number;
  /** Run in a transaction of its own: its group lost a race, and only alone does it say whose fault it was. */
  alone?: boolean;
}

type Runner = Pick<pg.Pool | pg.PoolClient, 'query'>;

class Statements implements SqlQueryable {
  readonly dialect = POSTGRES;
  /** Each statement's PostgreSQL text, and its name: prepared once per connection, not parsed and planned every time. */
  private static readonly translated = new Map<string, { text: string; names: string[] | null; name: string }>();

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
      t = { ...numberParameters(sql), name: `rw${Statements.translated.size}` };
      Statements.translated.set(sql, t);
    }
    return this.runner.query({ name: t.name, text: t.text, values: values(t.names, params, sql), types: TYPES });
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
 * are READ COMMITTED, so many run at once without aborting each other; a store's read-then-write
 * takes the row lock it needs (`dialect.forUpdate`) or leans on a unique key, and a transaction
 * that loses a race is run again. (SERIALIZABLE was tried first: with transactions committed in
 * groups, concurrent groups aborted each other until alarms were lost.)
 */
export class PostgresSql extends Statements implements SqlDatabase {
  private readonly queue: Job[] = [];
  private running = 0;
  private scheduled = false;
  private listener: PgListener | undefined;
  /** Connections writing at once; the rest of the pool is left for reads. */
  private readonly writers: number;

  private constructor(
    private readonly pool: pg.Pool,
    poolSize: number,
    /** Advisory locks are per database: named per schema, so gateways in other schemas do not share them. */
    private readonly lockScope: string,
  ) {
    super(pool);
    this.writers = Math.max(1, poolSize - 2);
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
      // Workers starting together race to create it: IF NOT EXISTS is not atomic in PostgreSQL.
      if (schema)
        await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((e: unknown) => {
          if (codeOf(e) !== UNIQUE && codeOf(e) !== '42P06') throw e;
        });
      else await pool.query('SELECT 1');
    } catch (e) {
      await pool.end();
      throw new Error(`cannot reach PostgreSQL at ${redact(o.url)}: ${(e as Error).message}`);
    }
    return new PostgresSql(pool, o.poolSize ?? 10, schema ?? 'public');
  }

  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject, attempts: 0 });
      this.schedule();
    });
  }

  /** A single statement is a transaction of its own, group-committed like the others. */
  override run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    return this.transaction((tx) => tx.run(sql, params));
  }

  /**
   * Group commit, as SQLite's WriteBatch does: transactions asked for while every writing
   * connection is busy run one after another in the next transaction, so under load one commit
   * (one WAL flush) serves many. At low load each runs alone at once.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.writers && this.queue.length) {
        const n = this.queue[0].alone ? 1 : this.queue.findIndex((j) => j.alone);
        const jobs = this.queue.splice(0, n === -1 ? MAX_BATCH : Math.min(n, MAX_BATCH));
        this.running++;
        void this.runBatch(jobs).finally(() => {
          this.running--;
          if (this.queue.length) this.schedule();
        });
      }
    });
  }

  private async runBatch(jobs: Job[]): Promise<void> {
    const values: unknown[] = [];
    let client: pg.PoolClient | undefined;
    let failed = -1;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      const tx = new Statements(client);
      for (const [i, j] of jobs.entries()) {
        failed = i;
        values.push(await j.fn(tx));
      }
      failed = -1;
      await client.query('COMMIT');
      jobs.forEach((j, i) => j.resolve(values[i]));
    } catch (e) {
      await client?.query('ROLLBACK').catch(() => {});
      if (isRetryable(e)) return this.again(jobs, e as Error);
      if (failed < 0) {
        // Not a job's own failure (the connection, the commit): all of them failed.
        for (const j of jobs) j.reject(e as Error);
        return;
      }
      // One job failed: it alone is refused (after the same jobs before it, as it would be again);
      // the others run again without it. No savepoints: a round trip each, for a rare case.
      jobs[failed].reject(e as Error);
      this.queue.unshift(...jobs.filter((_, i) => i !== failed));
    } finally {
      client?.release();
    }
  }

  /**
   * Jobs that lost a race, queued again at the front after a short random wait: a group's jobs one
   * by one (no attempt counted), a job alone up to its limit.
   */
  private async again(jobs: Job[], e: Error): Promise<void> {
    if (jobs.length > 1) {
      for (const j of jobs) j.alone = true;
      this.queue.unshift(...jobs);
      return;
    }
    const retry: Job[] = [];
    const limit = codeOf(e) === UNIQUE ? UNIQUE_ATTEMPTS : MAX_ATTEMPTS;
    for (const j of jobs) {
      if (++j.attempts < limit) retry.push(j);
      else j.reject(e);
    }
    await new Promise((r) => setTimeout(r, Math.random() * 5 * (retry[0]?.attempts ?? 1)));
    this.queue.unshift(...retry);
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

  /** A session-level advisory lock on a connection of its own (outside the pool), so it lives as long as that connection. */
  async lock(name: string): Promise<HeldLock | undefined> {
    const client = new pg.Client(this.clientConfig());
    let held = false;
    client.on('error', () => (held = false));
    client.on('end', () => (held = false));
    try {
      await client.connect();
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
        `${this.lockScope}.${name}`,
      ]);
      held = r.rows[0]?.ok === true;
    } catch {
      held = false;
    }
    if (!held) {
      await client.end().catch(() => {});
      return undefined;
    }
    return {
      get held() {
        return held;
      },
      release: async () => {
        held = false;
        await client.end().catch(() => {});
      },
    };
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [channelName(this.lockScope, channel), payload]);
  }

  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    this.listener ??= new PgListener(this.clientConfig());
    return this.listener.listen(channelName(this.lockScope, channel), onMessage);
  }

  async close(): Promise<void> {
    await this.listener?.close();
    await this.pool.end();
  }

  private clientConfig(): pg.ClientConfig {
    return (this.pool as unknown as { options: pg.ClientConfig }).options;
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
