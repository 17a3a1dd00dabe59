import type Database from 'better-sqlite3-multiple-ciphers';
import { databaseKey, openSealedDatabase } from '../protocols/index.ts';

/**
 * What a message is, for deciding what to give up when the disk is full: telemetry first, then
 * evidence images (oldest first); alarms, events and command results are never dropped.
 */
export type OutboxClass = 'alarm' | 'event' | 'result' | 'evidence' | 'telemetry';
const DROPPABLE: OutboxClass[] = ['telemetry', 'evidence'];

export interface OutboxMessage {
  /** The message id (ULID); the gateway dedupes on it, and so does the outbox. */
  id: string;
  topic: string;
  payload: Buffer;
  cls: OutboxClass;
  retain?: boolean;
}

export interface OutboxItem extends OutboxMessage {
  seq: number;
  createdAt: number;
}

export interface OutboxStats {
  pending: number;
  bytes: number;
  dropped: Record<'telemetry' | 'evidence', number>;
}

export interface OutboxOptions {
  path: string;
  /** Encrypt the file at rest under a key derived from this one (the box's storage key). */
  key?: Buffer;
  /** Bound on stored payload bytes. */
  maxBytes?: number;
  now?: () => number;
}

/**
 * The durable queue every report passes through before it is published (QoS 1) and which it
 * leaves only when the broker acknowledged it. SQLite in WAL mode with synchronous=FULL: a
 * commit is on disk (fsynced) when append() returns, so kill -9 or a power cut loses nothing.
 */
export class Outbox {
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private bytes: number;
  private readonly acked: number[] = [];
  private ackFlush: NodeJS.Immediate | undefined;
  private readonly stmt: {
    insert: Database.Statement;
    next: Database.Statement;
    ack: Database.Statement;
    oldestOf: Database.Statement;
    count: Database.Statement;
    bump: Database.Statement;
  };

  constructor(opts: OutboxOptions) {
    this.db = openSealedDatabase(opts.path, opts.key && databaseKey(opts.key, 'outbox.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        cls TEXT NOT NULL,
        retain INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS outbox_cls ON outbox (cls, seq);
      CREATE TABLE IF NOT EXISTS outbox_dropped (cls TEXT PRIMARY KEY, n INTEGER NOT NULL);
    `);
    this.maxBytes = opts.maxBytes ?? 512 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
    this.stmt = {
      insert: this.db.prepare(
        'INSERT OR IGNORE INTO outbox (id, topic, payload, cls, retain, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      next: this.db.prepare(
        'SELECT seq, id, topic, payload, cls, retain, created_at AS createdAt FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      ack: this.db.prepare('DELETE FROM outbox WHERE seq = ? RETURNING length(payload) AS n'),
      oldestOf: this.db.prepare(
        'DELETE FROM outbox WHERE seq = (SELECT min(seq) FROM outbox WHERE cls = ?) RETURNING length(payload) AS n',
      ),
      count: this.db.prepare('SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS b FROM outbox'),
      bump: this.db.prepare(
        'INSERT INTO outbox_dropped (cls, n) VALUES (?, 1) ON CONFLICT (cls) DO UPDATE SET n = n + 1',
      ),
    };
    this.bytes = (this.stmt.count.get() as { b: number }).b;
  }

  /**
   * Store a message durably. Makes room by dropping telemetry, then the oldest evidence; if there
   * is still no room, a droppable message is itself dropped, while an alarm, event or result is
   * kept beyond the bound. Returns its seq (undefined if a duplicate or dropped) and what was dropped.
   */
  append(m: OutboxMessage): { seq: number | undefined; dropped: OutboxClass[] } {
    const dropped: OutboxClass[] = [];
    const run = this.db.transaction(() => {
      while (this.bytes + m.payload.length > this.maxBytes) {
        const freed = this.dropOne(m.cls);
        if (freed === undefined) break;
        dropped.push(freed);
      }
      if (this.bytes + m.payload.length > this.maxBytes && DROPPABLE.includes(m.cls)) {
        this.stmt.bump.run(m.cls);
        dropped.push(m.cls);
        return undefined;
      }
      const r = this.stmt.insert.run(m.id, m.topic, m.payload, m.cls, m.retain ? 1 : 0, this.now());
      if (r.changes) this.bytes += m.payload.length;
      return r.changes ? Number(r.lastInsertRowid) : undefined;
    });
    return { seq: run(), dropped };
  }

  /** Messages after `afterSeq`, oldest first: what to publish next. */
  next(afterSeq: number, limit: number): OutboxItem[] {
    return (this.stmt.next.all(afterSeq, limit) as Array<Omit<OutboxItem, 'retain'> & { retain: number }>).map((r) => ({
      ...r,
      retain: r.retain === 1,
    }));
  }

  /**
   * The broker acknowledged it: it may go. Deletes are batched into one transaction per turn of
   * the event loop — an ack lost to a crash costs only a resend, which the gateway dedupes.
   */
  ack(seq: number): void {
    this.acked.push(seq);
    this.ackFlush ??= setImmediate(() => this.flushAcks());
  }

  flushAcks(): void {
    if (this.ackFlush) clearImmediate(this.ackFlush);
    this.ackFlush = undefined;
    if (!this.acked.length) return;
    const seqs = this.acked.splice(0);
    this.db.transaction(() => {
      for (const seq of seqs) {
        const r = this.stmt.ack.get(seq) as { n: number } | undefined;
        if (r) this.bytes -= r.n;
      }
    })();
  }

  stats(): OutboxStats {
    this.flushAcks();
    const { n } = this.stmt.count.get() as { n: number };
    const rows = this.db.prepare('SELECT cls, n FROM outbox_dropped').all() as Array<{
      cls: 'telemetry' | 'evidence';
      n: number;
    }>;
    const dropped = { telemetry: 0, evidence: 0 };
    for (const r of rows) dropped[r.cls] = r.n;
    return { pending: n, bytes: this.bytes, dropped };
  }

  close(): void {
    this.flushAcks();
    this.db.close();
  }

  private dropOne(incoming: OutboxClass): OutboxClass | undefined {
    for (const cls of DROPPABLE) {
      // Never drop evidence to make room for telemetry.
      if (cls === 'evidence' && incoming === 'telemetry') break;
      const r = this.stmt.oldestOf.get(cls) as { n: number } | undefined;
      if (r) {
        this.bytes -= r.n;
        this.stmt.bump.run(cls);
        return cls;
      }
    }
    return undefined;
  }
}
