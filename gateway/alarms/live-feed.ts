import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { EventMessage } from '../../protocols/index.ts';
import type { GatewayBus, GatewayEvents } from '../bus.ts';
import type { SqlDatabase } from '../store/sql.ts';

/** What the dashboard's stream tells: ids only (the page fetches the rows through the API). */
export type LiveUpdate =
  | { type: 'alarm'; data: { id: string; deviceId: string } }
  | { type: 'case'; data: GatewayEvents['case'][0] }
  | { type: 'response'; data: GatewayEvents['response'][0] };

const CHANNEL = 'live';
/** Updates within this long go out in one notification: one statement per batch, not per alarm. */
const FLUSH_MS = 50;
/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
const MOST_BYTES = 7000;

/**
 * Alarms, cases and response moves from whichever worker handled them, for every worker's
 * dashboard streams: each worker sends its own through the shared database (NOTIFY, batched)
 * and hears everyone's, its own included, so a stream sees the same on any worker.
 */
export class LiveFeed {
  private readonly out = new EventEmitter<{ update: [LiveUpdate] }>().setMaxListeners(0);
  private pending: LiveUpdate[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly taps: Array<() => void> = [];
  /** Notifications that could not be sent or read (the dashboards missed those updates). */
  dropped = 0;

  constructor(
    private readonly sql: SqlDatabase,
    private readonly bus: GatewayBus,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.sql.listen(CHANNEL, (payload) => this.heard(payload));
    this.tap('event', (e: EventMessage) => {
      if (e.severity === 'alarm') this.send({ type: 'alarm', data: { id: e.id, deviceId: e.deviceId } });
    });
    this.tap('case', (c) => this.send({ type: 'case', data: c }));
    this.tap('response', (r) => this.send({ type: 'response', data: r }));
  }

  async stop(): Promise<void> {
    for (const off of this.taps.splice(0)) off();
    await this.flush();
    await this.unlisten?.();
  }

  on(fn: (u: LiveUpdate) => void): () => void {
    this.out.on('update', fn);
    return () => this.out.off('update', fn);
  }

  private tap<K extends 'event' | 'case' | 'response'>(name: K, fn: (...a: GatewayEvents[K]) => void): void {
    const listener = fn as never;
    this.bus.on(name, listener);
    this.taps.push(() => this.bus.off(name, listener));
  }

  private send(u: LiveUpdate): void {
    const size = JSON.stringify(u).length + 1;
    if (this.bytes + size > MOST_BYTES) void this.flush();
    this.pending.push(u);
    this.bytes += size;
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (!batch.length) return;
    this.pending = [];
    this.bytes = 0;
    try {
      await this.sql.notify(CHANNEL, JSON.stringify(batch));
    } catch (err) {
      this.dropped += batch.length;
      this.log.warn(
        { err: (err as Error).message, updates: batch.length },
        'live updates not sent to the other workers',
      );
    }
  }

  private heard(payload: string): void {
    let batch: LiveUpdate[];
    try {
      batch = JSON.parse(payload) as LiveUpdate[];
    } catch {
      this.dropped++;
      this.log.warn({ bytes: payload.length }, 'a live notification that is not JSON was ignored');
      return;
    }
    if (!Array.isArray(batch)) return;
    for (const u of batch)
      if (isUpdate(u)) this.out.emit('update', u);
      else this.dropped++;
  }
}

const isUpdate = (u: unknown): u is LiveUpdate => {
  const { type, data } = (u ?? {}) as { type?: unknown; data?: Record<string, unknown> };
  if (typeof data?.id !== 'string') return false;
  if (type === 'alarm' || type === 'case') return typeof data.deviceId === 'string';
  return type === 'response' && typeof data.caseId === 'string';
};
