import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { HeldLock, SqlDatabase } from './store/sql.ts';
import { WorkerStore } from './worker-store.ts';

/** A worker not seen for this long is taken for gone when the report queues are shared out. */
const ALIVE_MS = 5000;

/**
 * This gateway process among the workers sharing one database: its id, whether it leads — holds
 * the database lock under which timers run (deadlines, reminders, escalation, sweeps,
 * reconciliation), so they run once however many workers there are — and which workers are
 * alive (each says so every `retryMs`), to share the report queues out. A lone gateway (SQLite)
 * always leads. A leader that loses its database connection stops leading at once; another
 * worker takes over within `retryMs`.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private lock: HeldLock | undefined;
  /** Held for this worker's life: whoever can take it knows this worker is gone. */
  private alive: HeldLock | undefined;
  private timer: NodeJS.Timeout | undefined;
  private trying = false;
  private alivePeers: string[] = [this.id];
  private readonly store: WorkerStore;

  constructor(
    private readonly sql: SqlDatabase,
    private readonly log: Logger,
    private readonly retryMs = 2000,
  ) {
    this.store = new WorkerStore(sql);
  }

  get isLeader(): boolean {
    return this.lock?.held ?? false;
  }

  async start(): Promise<void> {
    this.alive = await this.sql.lock(`worker:${this.id}`);
    await this.tryToLead();
    this.timer = setInterval(() => void this.tryToLead(), this.retryMs).unref();
  }

  /** Workers alive at the last look, this one among them, sorted. */
  get live(): readonly string[] {
    return this.alivePeers;
  }

  private async heartbeat(): Promise<void> {
    // SQLite belongs to one process: no one else to tell.
    if (this.sql.dialect.name === 'sqlite') return;
    const now = new Date();
    const live = await this.store.beat(this.id, now, ALIVE_MS);
    this.alivePeers = live.includes(this.id) ? live : [this.id];
    if (this.isLeader) await this.store.forgetOlder(new Date(now.getTime() - 60_000));
  }

  private async tryToLead(): Promise<void> {
    if (this.trying) return;
    this.trying = true;
    try {
      await this.heartbeat().catch((e: Error) =>
        this.log.warn({ worker: this.id, err: e.message }, 'could not say this worker is alive'),
      );
      if (this.lock?.held) return;
      if (this.lock) this.log.warn({ worker: this.id }, 'lost the database connection: no longer leading');
      this.lock = await this.sql.lock('leader');
      if (this.lock) this.log.info({ worker: this.id }, 'leading: the gateway’s timers run in this worker');
    } catch (e) {
      this.log.warn({ worker: this.id, err: (e as Error).message }, 'could not try to lead');
    } finally {
      this.trying = false;
    }
  }

  /** Whether another worker has ended (its process or its database connection); never this one. */
  async isGone(workerId: string): Promise<boolean> {
    if (workerId === this.id) return false;
    const probe = await this.sql.lock(`worker:${workerId}`);
    await probe?.release();
    return probe !== undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const locks = [this.lock, this.alive];
    this.lock = this.alive = undefined;
    for (const l of locks) await l?.release();
    if (this.sql.dialect.name !== 'sqlite') await this.store.leave(this.id).catch(() => {});
  }
}
