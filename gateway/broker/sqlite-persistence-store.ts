import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { databaseKey, openSealedDatabase } from '../../protocols/index.ts';

/** A packet as aedes hands it to persistence; the payload is kept as a BLOB, the rest as JSON. */
interface StoredPacket {
  topic: string;
  payload: Buffer;
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  [k: string]: unknown;
}
type Client = { id: string };
type Sub = { topic: string; qos: number; rh?: number; rap?: boolean; nl?: boolean; subscriptionIdentifier?: number };

interface MemoryPersistence {
  setup(broker: unknown): Promise<void>;
  storeRetained(p: StoredPacket): Promise<void>;
  addSubscriptions(c: Client, subs: Sub[]): Promise<void>;
  removeSubscriptions(c: Client, topics: string[]): Promise<void>;
  cleanSubscriptions(c: Client): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, p: StoredPacket): Promise<void>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, p: StoredPacket): Promise<void>;
  outgoingUpdate(c: Client, p: StoredPacket): Promise<void>;
  outgoingClearMessageId(c: Client, p: StoredPacket): Promise<StoredPacket | undefined>;
  outgoingStream(c: Client): NodeJS.ReadableStream;
  incomingStorePacket(c: Client, p: StoredPacket): Promise<void>;
  incomingDelPacket(c: Client, p: StoredPacket): Promise<void>;
  cleanIncoming(c: Client): Promise<void>;
  putWill(c: Client, p: StoredPacket): Promise<void>;
  delWill(c: Client): Promise<StoredPacket | undefined>;
  /** The wills of brokers not named in `brokers`. */
  streamWill(brokers: Record<string, number>): AsyncIterable<StoredPacket>;
  destroy(): Promise<void>;
}

// aedes-persistence's in-memory store (the one aedes' own tests use): every answer is immediate,
// so there are no async windows for aedes to race in.
const Memory = createRequire(import.meta.url)('aedes-persistence/asyncPersistence.js') as new () => MemoryPersistence;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, meta TEXT NOT NULL, payload BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, topic TEXT NOT NULL, sub TEXT NOT NULL, PRIMARY KEY (client_id, topic));
  CREATE TABLE IF NOT EXISTS outgoing (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, broker_id TEXT, broker_counter INTEGER,
    message_id INTEGER, meta TEXT NOT NULL, payload BLOB NOT NULL);
  CREATE INDEX IF NOT EXISTS outgoing_client ON outgoing (client_id, broker_id, broker_counter);
  CREATE INDEX IF NOT EXISTS outgoing_message ON outgoing (client_id, message_id);
  CREATE TABLE IF NOT EXISTS incoming (client_id TEXT NOT NULL, message_id INTEGER NOT NULL, meta TEXT NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (client_id, message_id));
  CREATE TABLE IF NOT EXISTS wills (client_id TEXT PRIMARY KEY, meta TEXT NOT NULL, payload BLOB NOT NULL);
`;

const split = (p: StoredPacket): [string, Buffer] => {
  const { payload, ...meta } = p;
  return [JSON.stringify(meta), Buffer.from(payload ?? [])];
};
const join2 = (meta: string, payload: Buffer): StoredPacket => ({ ...(JSON.parse(meta) as StoredPacket), payload });

/**
 * aedes persistence that survives a restart: the in-memory store answers aedes, and every change
 * is written through to SQLite (WAL) in the same tick, synchronously. At start the memory is
 * filled from SQLite. Replaces aedes-persistence-level, which lost QoS 1 messages to persistent
 * subscribers under concurrent publishers and retained messages followed at once by a publish.
 */
export class SqlitePersistence extends Memory {
  private readonly db: Database.Database;
  private readonly q;
  /**
   * QoS 2 publishes received before the stop whose PUBREL had not come: aedes answers the box's
   * resend with PUBREC without publishing again, so whether they reached an in-process subscriber
   * is unknown. The gateway's client hands them to its handlers again (they ignore duplicates).
   */
  readonly unreleased: StoredPacket[] = [];

  /** broker.db is encrypted under a key derived from the storage key: it holds evidence images in flight. */
  constructor(dataDir: string, storageKey: Buffer) {
    super();
    this.db = openSealedDatabase(join(dataDir, 'broker.db'), databaseKey(storageKey, 'broker.db'));
    this.db.pragma('journal_mode = WAL');
    // A PUBACK or PUBREC promises the message is kept: it must outlive a power cut.
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    const p = (sql: string) => this.db.prepare(sql);
    this.q = {
      retainedPut: p('INSERT OR REPLACE INTO retained (topic, meta, payload) VALUES (?, ?, ?)'),
      retainedDel: p('DELETE FROM retained WHERE topic = ?'),
      subPut: p('INSERT OR REPLACE INTO subscriptions (client_id, topic, sub) VALUES (?, ?, ?)'),
      subDel: p('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
      subClean: p('DELETE FROM subscriptions WHERE client_id = ?'),
      outAdd: p(
        'INSERT INTO outgoing (client_id, broker_id, broker_counter, message_id, meta, payload) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      // Like the memory store, only the first match changes.
      outSetId: p(
        'UPDATE outgoing SET message_id = ? WHERE seq = (SELECT min(seq) FROM outgoing WHERE client_id = ? AND broker_id = ? AND broker_counter = ?)',
      ),
      // A PUBREL (no broker id or counter of its own) takes the place of its PUBLISH, keeping them.
      outReplace: p(
        'UPDATE outgoing SET broker_id = coalesce(?, broker_id), broker_counter = coalesce(?, broker_counter), message_id = ?, meta = ?, payload = ? WHERE seq = (SELECT min(seq) FROM outgoing WHERE client_id = ? AND message_id = ?)',
      ),
      // IS, not =: aedes clears a packet that has no message id yet (undefined matches undefined).
      outClear: p(
        'DELETE FROM outgoing WHERE seq = (SELECT min(seq) FROM outgoing WHERE client_id = ? AND message_id IS ?)',
      ),
      inPut: p('INSERT OR REPLACE INTO incoming (client_id, message_id, meta, payload) VALUES (?, ?, ?, ?)'),
      inDel: p('DELETE FROM incoming WHERE client_id = ? AND message_id = ?'),
      inClean: p('DELETE FROM incoming WHERE client_id = ?'),
      willPut: p('INSERT OR REPLACE INTO wills (client_id, meta, payload) VALUES (?, ?, ?)'),
      willDel: p('DELETE FROM wills WHERE client_id = ?'),
    };
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    await this.restore();
  }

  /** Fill the memory store from disk, through the parent's own methods (no write-through). */
  private async restore(): Promise<void> {
    type Row = { meta: string; payload: Buffer };
    // Second copies queued for one session by earlier versions (overlapping filters) never get an
    // ack and would come back after every restart.
    this.db.exec(`DELETE FROM outgoing WHERE broker_id IS NOT NULL AND seq NOT IN
      (SELECT min(seq) FROM outgoing WHERE broker_id IS NOT NULL GROUP BY client_id, broker_id, broker_counter)`);
    for (const r of this.db.prepare('SELECT meta, payload FROM retained').all() as Row[])
      await super.storeRetained(join2(r.meta, r.payload));
    const subs = new Map<string, Sub[]>();
    for (const r of this.db.prepare('SELECT client_id AS c, sub FROM subscriptions').all() as Array<{
      c: string;
      sub: string;
    }>) {
      subs.set(r.c, [...(subs.get(r.c) ?? []), JSON.parse(r.sub) as Sub]);
    }
    for (const [id, list] of subs) await super.addSubscriptions({ id }, list);
    for (const r of this.db
      .prepare(
        'SELECT seq, client_id AS c, broker_id AS b, broker_counter AS n, message_id AS m, meta, payload FROM outgoing ORDER BY seq',
      )
      .all() as Array<Row & { seq: number; c: string; b: string | null; n: number | null; m: number | null }>) {
      // The memory store finds a queued packet by broker id + counter: a PUBREL stored without
      // them (before they were kept) gets a pair of its own, or aedes' start fails ("no such packet").
      const packet = { ...join2(r.meta, r.payload), brokerId: r.b ?? `restored-${r.c}`, brokerCounter: r.n ?? -r.seq };
      await super.outgoingEnqueue({ clientId: r.c }, packet);
      if (r.m !== null) await super.outgoingUpdate({ id: r.c }, { ...packet, messageId: r.m });
    }
    for (const r of this.db.prepare('SELECT client_id AS c, meta, payload FROM incoming').all() as Array<
      Row & { c: string }
    >) {
      const packet = join2(r.meta, r.payload);
      await super.incomingStorePacket({ id: r.c }, packet);
      this.unreleased.push(packet);
    }
    for (const r of this.db.prepare('SELECT client_id AS c, meta, payload FROM wills').all() as Array<
      Row & { c: string }
    >) {
      const will = join2(r.meta, r.payload);
      const brokerId = will.brokerId;
      await super.putWill({ id: r.c }, will);
      // Keep the old broker's id: aedes publishes wills of brokers that are gone.
      will.brokerId = brokerId;
    }
  }

  override async storeRetained(p: StoredPacket): Promise<void> {
    if (!p.payload?.length) this.q.retainedDel.run(p.topic);
    else this.q.retainedPut.run(p.topic, ...split(p));
    return super.storeRetained(p);
  }

  override async addSubscriptions(c: Client, subs: Sub[]): Promise<void> {
    this.db.transaction(() => subs.forEach((s) => this.q.subPut.run(c.id, s.topic, JSON.stringify(s))))();
    return super.addSubscriptions(c, subs);
  }

  override async removeSubscriptions(c: Client, topics: string[]): Promise<void> {
    this.db.transaction(() => topics.forEach((t) => this.q.subDel.run(c.id, t)))();
    return super.removeSubscriptions(c, topics);
  }

  override async cleanSubscriptions(c: Client): Promise<void> {
    this.q.subClean.run(c.id);
    return super.cleanSubscriptions(c);
  }

  override async outgoingEnqueue(sub: { clientId: string }, p: StoredPacket): Promise<void> {
    this.addOutgoing(sub.clientId, p);
    return super.outgoingEnqueue(sub, p);
  }

  override async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, p: StoredPacket): Promise<void> {
    // A session whose filters overlap (rw/v1/# and rw/v1/+/event/+) is delivered one copy (see
    // delivery-guard.ts), so it queues one copy: a second would wait forever for an ack.
    const once = [...new Map(subs.map((s) => [s.clientId, s])).values()];
    this.db.transaction(() => once.forEach((s) => this.addOutgoing(s.clientId, p)))();
    return super.outgoingEnqueueCombi(once, p);
  }

  private addOutgoing(clientId: string, p: StoredPacket): void {
    // Enqueued packets have no message id yet; it is given at delivery (outgoingUpdate).
    this.q.outAdd.run(
      clientId,
      p.brokerId ?? null,
      p.brokerCounter ?? null,
      null,
      ...split({ ...p, messageId: undefined }),
    );
  }

  override async outgoingUpdate(c: Client, p: StoredPacket): Promise<void> {
    await super.outgoingUpdate(c, p);
    // Same rule as the memory store: the packet of this broker + counter gets its message id,
    // else the one holding this message id is replaced.
    if (this.q.outSetId.run(p.messageId ?? null, c.id, p.brokerId ?? null, p.brokerCounter ?? null).changes === 0) {
      this.q.outReplace.run(
        p.brokerId ?? null,
        p.brokerCounter ?? null,
        p.messageId ?? null,
        ...split(p),
        c.id,
        p.messageId ?? null,
      );
    }
  }

  override async outgoingClearMessageId(c: Client, p: StoredPacket): Promise<StoredPacket | undefined> {
    this.q.outClear.run(c.id, p.messageId ?? null);
    return super.outgoingClearMessageId(c, p);
  }

  override async incomingStorePacket(c: Client, p: StoredPacket): Promise<void> {
    this.q.inPut.run(c.id, p.messageId ?? 0, ...split(p));
    return super.incomingStorePacket(c, p);
  }

  override async incomingDelPacket(c: Client, p: StoredPacket): Promise<void> {
    this.q.inDel.run(c.id, p.messageId ?? 0);
    return super.incomingDelPacket(c, p);
  }

  override async cleanIncoming(c: Client): Promise<void> {
    this.q.inClean.run(c.id);
    return super.cleanIncoming(c);
  }

  override async putWill(c: Client, p: StoredPacket): Promise<void> {
    await super.putWill(c, p);
    this.q.willPut.run(c.id, ...split(p));
  }

  override async delWill(c: Client): Promise<StoredPacket | undefined> {
    this.q.willDel.run(c.id);
    return super.delWill(c);
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    this.db.close();
  }
}
