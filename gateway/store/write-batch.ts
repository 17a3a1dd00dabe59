import type Database from 'better-sqlite3-multiple-ciphers';

/**
 * Group commit for one SQLite connection. Writes made in the same turn of the event loop share
 * one transaction, committed once the turn's I/O callbacks have run; each writer's promise
 * settles only when that commit is done (or failed), so whoever acknowledges a message after
 * awaiting its write acknowledges something on disk. Under alarm load this turns a commit per
 * write (each rewriting the same few index pages into the WAL) into a commit per few dozen.
 *
 * Each write runs in a savepoint of its own: one that throws leaves the others' writes intact.
 * An asynchronous write (`transaction`) holds the connection until it ends: writes asked for
 * meanwhile wait their turn, and the batch is not committed in the middle of it.
 * Reads on the connection see writes not yet committed, as before.
 */
export class WriteBatch {
  private open = false;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Set while an asynchronous write holds the connection; writes asked for meanwhile queue behind it. */
  private held: Promise<void> | null = null;
  private flushWhenReleased = false;

  constructor(private readonly db: Database.Database) {}

  /** `write` for a single statement, which is all or nothing by itself (no savepoint needed). */
  async run<T>(statement: () => T): Promise<T> {
    while (this.held !== null) await this.held;
    const result = this.inBatch(statement);
    await this.committed();
    return result;
  }

  /**
   * Run `fn` (SQL only, which may await its own statements) all or nothing in the current batch,
   * alone on the connection; resolves with its result once committed.
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    while (this.held !== null) await this.held;
    let release = (): void => {};
    this.held = new Promise<void>((r) => {
      release = r;
    });
    let result: T;
    try {
      this.inBatch(() => this.db.exec('SAVEPOINT rw_tx'));
      try {
        result = await fn();
        this.db.exec('RELEASE rw_tx');
      } catch (e) {
        this.db.exec('ROLLBACK TO rw_tx');
        this.db.exec('RELEASE rw_tx');
        throw e;
      }
    } finally {
      this.held = null;
      release();
      if (this.flushWhenReleased) {
        this.flushWhenReleased = false;
        this.flush();
      }
    }
    await this.committed();
    return result;
  }

  /** Commit what is pending now (before the connection closes). */
  flush(): void {
    if (!this.open) return;
    if (this.held !== null) {
      this.flushWhenReleased = true;
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    this.open = false;
    try {
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const w of waiters) w.reject(e as Error);
      return;
    }
    for (const w of waiters) w.resolve();
  }

  private inBatch<T>(statement: () => T): T {
    if (!this.open) {
      this.db.exec('BEGIN IMMEDIATE');
      this.open = true;
      setImmediate(() => this.flush());
    }
    return statement();
  }

  private committed(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

const batches = new WeakMap<Database.Database, WriteBatch>();

/** The write batch of this connection; closing the connection commits what is pending first. */
export function writeBatch(db: Database.Database): WriteBatch {
  let b = batches.get(db);
  if (!b) {
    const batch = new WriteBatch(db);
    const close = db.close.bind(db);
    db.close = () => {
      batch.flush();
      return close();
    };
    batches.set(db, batch);
    b = batch;
  }
  return b;
}
