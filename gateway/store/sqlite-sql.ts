import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { HeldLock, SqlDatabase, SqlParams, SqlQueryable, SqlRunResult, SqlValue } from './sql.ts';
import { SQLITE } from './sql-dialect.ts';
import { type WriteBatch, writeBatch } from './write-batch.ts';

type Bound = unknown[] | Record<string, unknown>;

/** better-sqlite3 binds no booleans: stored as 1 and 0, as PostgreSQL's adapter does too. */
const value = (v: SqlValue): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

function bind(params: SqlParams | undefined): Bound {
  if (!params) return [];
  if (Array.isArray(params)) return (params as SqlValue[]).map(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params as Record<string, SqlValue>)) out[k] = value(v);
  return out;
}

/** Statements run at once on the connection (inside a transaction, or for reads). */
class Direct implements SqlQueryable {
  readonly dialect = SQLITE;

  constructor(protected readonly db: Database.Database) {}

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.db.prepare(sql).all(bind(params)) as T[];
  }

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return this.db.prepare(sql).get(bind(params)) as T | undefined;
  }

  async run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    return { changes: this.db.prepare(sql).run(bind(params)).changes };
  }
}

/**
 * The SQLite side of SqlDatabase: one connection (better-sqlite3, statements cached by
 * database.ts), writes group-committed by its WriteBatch, so a write settles once it is on disk.
 */
export class SqliteSql extends Direct implements SqlDatabase {
  private readonly batch: WriteBatch;
  private readonly inTx: Direct;
  private readonly channels = new EventEmitter().setMaxListeners(0);

  constructor(connection: Database.Database) {
    super(connection);
    this.batch = writeBatch(connection);
    this.inTx = new Direct(connection);
  }

  override run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    const st = this.db.prepare(sql);
    const bound = bind(params);
    return this.batch.run(() => ({ changes: st.run(bound).changes }));
  }

  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    return this.batch.transaction(() => fn(this.inTx));
  }

  async lock(): Promise<HeldLock> {
    const db = this.db;
    return {
      get held() {
        return db.open;
      },
      release: async () => {},
    };
  }

  async notify(channel: string, payload: string): Promise<void> {
    // As NOTIFY does: delivered after the sender goes on, never inside its call.
    setImmediate(() => this.channels.emit(channel, payload));
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    this.channels.on(channel, onMessage);
    return async () => {
      this.channels.off(channel, onMessage);
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
