import { createHash } from 'node:crypto';
import pg from 'pg';

const RECONNECT_MS = [250, 1000, 5000];

/** A NOTIFY channel name: the scope's and the channel's, hashed where PostgreSQL's 63-byte limit needs it. */
export function channelName(scope: string, channel: string): string {
  const name = `${scope}.${channel}`;
  return Buffer.byteLength(name) <= 63 ? name : `rw_${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed to others), for every channel
 * this process listens to. A lost connection is made again and listens again; what was sent
 * meanwhile is missed, as NOTIFY promises no more.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private closed = false;
  private failures = 0;

  constructor(private readonly config: pg.ClientConfig) {}

  async listen(name: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(name);
    const first = !set;
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(onMessage);
    const client = await this.connected();
    if (first) await client.query(`LISTEN ${pg.escapeIdentifier(name)}`);
    return async () => {
      set.delete(onMessage);
      if (set.size || this.handlers.get(name) !== set) return;
      this.handlers.delete(name);
      await this.client?.query(`UNLISTEN ${pg.escapeIdentifier(name)}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }

  private connected(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    client.on('notification', (n) => {
      for (const fn of this.handlers.get(n.channel) ?? []) fn(n.payload ?? '');
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      void client.end().catch(() => {});
      this.reconnectLater();
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    for (const name of this.handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(name)}`);
    this.failures = 0;
    this.client = client;
    return client;
  }

  private reconnectLater(): void {
    if (this.closed || !this.handlers.size) return;
    const wait = RECONNECT_MS[Math.min(this.failures++, RECONNECT_MS.length - 1)];
    setTimeout(() => {
      if (!this.closed && !this.client) this.connected().catch(() => this.reconnectLater());
    }, wait).unref();
  }
}
