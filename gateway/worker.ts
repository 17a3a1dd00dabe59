import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { HeldLock, SqlDatabase } from './store/sql.ts';

/**
 * This gateway process among the workers sharing one database: its id, and whether it leads —
 * holds the database lock under which timers run (deadlines, reminders, escalation, sweeps,
 * reconciliation), so they run once however many workers there are. A lone gateway (SQLite)
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

  constructor(
    private readonly sql: SqlDatabase,
    private readonly log: Logger,
    private readonly retryMs = 2000,
  ) {}

  get isLeader(): boolean {
    return this.lock?.held ?? false;
  }

  async start(): Promise<void> {
    this.alive = await this.sql.lock(`worker:${this.id}`);
    await this.tryToLead();
    this.timer = setInterval(() => void this.tryToLead(), this.retryMs).unref();
  }

  private async tryToLead(): Promise<void> {
    if (this.trying || this.lock?.held) return;
    this.trying = true;
    try {
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
  }
}
