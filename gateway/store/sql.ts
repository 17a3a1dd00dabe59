import type { Dialect } from './sql-dialect.ts';

/**
 * The one database interface every gateway store is written against, with two implementations:
 * SQLite (sqlite-sql.ts, the embedded default: one file, group commit) and PostgreSQL
 * (postgres-sql.ts, for a prefecture's workers sharing one database).
 *
 * Stores write SQL that both understand: `?` or `@name` parameters, `INSERT … ON CONFLICT DO
 * NOTHING`, `RETURNING`, double-quoted camelCase aliases (PostgreSQL folds bare ones to lower
 * case), `CAST(@x AS TEXT) IS NULL` for an optional parameter (PostgreSQL cannot tell the type of a
 * bare `$1 IS NULL`). The few things the two spell differently (JSON paths and arrays, string aggregation,
 * case-insensitive LIKE) come from `dialect` (sql-dialect.ts).
 */
export type SqlValue = string | number | bigint | boolean | Buffer | null;
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

export interface SqlRunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** What runs statements: the database itself, or one transaction of it. */
export interface SqlQueryable {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  run(sql: string, params?: SqlParams): Promise<SqlRunResult>;
}

export interface SqlDatabase extends SqlQueryable {
  /**
   * Run `fn` all or nothing. Its promise settles once the transaction is durable (committed and
   * synced), so whoever acknowledges a message after awaiting a store acknowledges what is on disk.
   * `fn` may run again (PostgreSQL retries a transaction that lost a race with another worker), so
   * it does nothing but SQL on `tx`. A single `run` outside a transaction is all or nothing and
   * durable when it settles, too.
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * A lock named `name`, held by this process until released or until its connection to the
   * database is lost (then `held` turns false): undefined when another process holds it. What
   * must happen once across gateway workers (timers, sweeps) runs only where it is held. SQLite
   * belongs to one process, which always has it.
   */
  lock(name: string): Promise<HeldLock | undefined>;
  /**
   * Tell every process sharing this database, this one too, `payload` on `channel` (PostgreSQL
   * NOTIFY; within the process on SQLite, which belongs to one). Best effort: a listener whose
   * connection is down when it is sent does not get it.
   */
  notify(channel: string, payload: string): Promise<void>;
  /** Hear what is sent on `channel`; the returned function stops listening. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface HeldLock {
  readonly held: boolean;
  release(): Promise<void>;
}

/**
 * `?` and `@name` parameters as PostgreSQL's `$1…$n`, and the names in their order (named and
 * positional are not mixed in one statement). Quoted strings, identifiers and `::` casts are left
 * alone.
 */
export function numberParameters(sql: string): { text: string; names: string[] | null } {
  let out = '';
  let n = 0;
  const names: string[] = [];
  const index = new Map<string, number>();
  let named = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (c === '?') {
      out += `$${++n}`;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      named = true;
      let j = i + 1;
      while (j < sql.length && /\w/.test(sql[j])) j++;
      const name = sql.slice(i + 1, j);
      let k = index.get(name);
      if (k === undefined) {
        names.push(name);
        k = names.length;
        index.set(name, k);
      }
      out += `$${k}`;
      i = j - 1;
    } else {
      out += c;
    }
  }
  if (named && n > 0) throw new Error(`SQL mixes ? and @name parameters: ${sql.slice(0, 80)}`);
  return { text: out, names: named ? names : null };
}

function closingQuote(sql: string, start: number): number {
  const q = sql[start];
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== q) continue;
    if (sql[i + 1] === q) i++;
    else return i;
  }
  return sql.length - 1;
}
