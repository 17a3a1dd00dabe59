import type { Histogram } from 'prom-client';
import { latency, secondsSince, type Metrics } from '../metrics.ts';
import type { Channel, DeliveryResult, Notification } from './channels/channel.ts';
import type { SqlDatabase } from '../store/sql.ts';

export type DeliveryOutcome =
  | { status: 'sent'; result: DeliveryResult & { ok: true } }
  | { status: 'failed'; error: string }
  | { status: 'held' }
  | { status: 'skipped' };

/** At the receiver's limit: hold for the digest (first notifications), skip (reminders), or send anyway (escalations). */
export type OverLimit = 'hold' | 'skip' | 'send';

/** Notifications held back for one receiver, sent together as one digest once the hour has room. */
export interface HeldBatch {
  recipientKey: string;
  channel: string;
  items: Notification[];
}

const HOUR_MS = 3_600_000;

/** One receiver on one channel: the phone or name the directory chose, or the channel itself. */
export const recipientKey = (channel: string, n: Notification): string =>
  `${channel}:${n.recipient?.phone ?? n.recipient?.name ?? '*'}`;

/**
 * Every notification the gateway sends, recorded (who, which channel, which responses, when, with
 * what result), and the per-receiver rate limit: a channel with `perRecipientPerHour` sends a
 * receiver at most that many in any hour; the rest are held (durably) and go out as one digest
 * as soon as the hour has room. Escalations are never held.
 */
export class Deliveries {
  /** How long a channel takes to send one notification, by channel and result. */
  private readonly sendSeconds?: Histogram<'channel' | 'ok'>;

  constructor(
    private readonly sql: SqlDatabase,
    private readonly channels: Map<string, Channel>,
    private readonly limits: Map<string, number>,
    private readonly now: () => Date,
    metrics?: Metrics,
    /** Aborted when the gateway stops: channels give up what is in flight. */
    private readonly signal?: AbortSignal,
  ) {
    if (metrics)
      this.sendSeconds = latency(
        metrics,
        'rw_delivery_seconds',
        'One notification handed to its channel → the channel answered',
        ['channel', 'ok'],
      );
  }

  async deliver(channelName: string, n: Notification, overLimit: OverLimit): Promise<DeliveryOutcome> {
    const channel = this.channels.get(channelName);
    if (!channel) return { status: 'failed', error: `channel ${channelName} is not configured` };
    const key = recipientKey(channelName, n);
    const full = overLimit !== 'send' && (!(await this.hasRoom(channelName, key)) || (await this.isWaiting(key)));
    if (full && overLimit === 'skip') return { status: 'skipped' };
    if (full) {
      await this.sql.run(
        'INSERT INTO held_notifications (response_id, recipient_key, channel, body, held_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [n.responseId, key, channelName, JSON.stringify(n), this.now().toISOString()],
      );
      return { status: 'held' };
    }
    const t0 = performance.now();
    const res = await channel.send(n, this.signal);
    this.sendSeconds?.observe({ channel: channelName, ok: String(res.ok) }, secondsSince(t0));
    await this.record(key, channelName, n, [n.responseId], res);
    return res.ok ? { status: 'sent', result: res } : { status: 'failed', error: `${channel.name}: ${res.error}` };
  }

  /** Whether a response waits in a digest queue (a restart must not send it on its own). */
  async isHeld(responseId: string): Promise<boolean> {
    return (
      (await this.sql.get('SELECT 1 AS x FROM held_notifications WHERE response_id = ?', [responseId])) !== undefined
    );
  }

  /** Held batches whose receiver has room again. */
  async due(): Promise<HeldBatch[]> {
    const rows = await this.sql.all<{ k: string; channel: string; body: string }>(
      'SELECT recipient_key AS k, channel, body FROM held_notifications ORDER BY held_at',
    );
    const batches = new Map<string, HeldBatch>();
    for (const r of rows) {
      if (!batches.has(r.k)) batches.set(r.k, { recipientKey: r.k, channel: r.channel, items: [] });
      batches.get(r.k)!.items.push(JSON.parse(r.body) as Notification);
    }
    const due: HeldBatch[] = [];
    for (const b of batches.values()) if (await this.hasRoom(b.channel, b.recipientKey)) due.push(b);
    return due;
  }

  /** Send one digest for a batch; on success its items are no longer held. */
  async sendDigest(b: HeldBatch, digest: Notification): Promise<DeliveryResult> {
    const channel = this.channels.get(b.channel);
    if (!channel) return { ok: false, attempts: 0, error: `channel ${b.channel} is not configured` };
    const ids = b.items.map((i) => i.responseId);
    const res = await channel.send(digest, this.signal);
    await this.record(b.recipientKey, b.channel, digest, ids, res);
    if (res.ok) {
      await this.sql.transaction(async (tx) => {
        for (const id of ids) await tx.run('DELETE FROM held_notifications WHERE response_id = ?', [id]);
      });
    }
    return res;
  }

  /** Delivery history of one response (what went to whom, when). */
  async forResponse(responseId: string): Promise<
    Array<{
      channel: string;
      kind: string;
      recipientKey: string;
      at: string;
      ok: boolean;
      attempts: number;
      error: string | null;
    }>
  > {
    return (
      await this.sql.all<{
        channel: string;
        kind: string;
        recipientKey: string;
        at: string;
        ok: number;
        attempts: number;
        error: string | null;
      }>(
        `SELECT channel, kind, recipient_key AS "recipientKey", at, ok, attempts, error FROM deliveries
         WHERE response_ids LIKE ? ORDER BY seq`,
        [`%"${responseId}"%`],
      )
    ).map((d) => ({ ...d, ok: d.ok === 1 }));
  }

  /** Older notifications for this receiver are held: a new one joins them, keeping the order. */
  private async isWaiting(key: string): Promise<boolean> {
    return (
      (await this.sql.get('SELECT 1 AS x FROM held_notifications WHERE recipient_key = ? LIMIT 1', [key])) !== undefined
    );
  }

  private async hasRoom(channelName: string, key: string): Promise<boolean> {
    const limit = this.limits.get(channelName);
    if (limit === undefined) return true;
    const since = new Date(this.now().getTime() - HOUR_MS).toISOString();
    const { n } = (await this.sql.get<{ n: number }>(
      'SELECT count(*) AS n FROM deliveries WHERE recipient_key = ? AND at > ? AND ok = 1',
      [key, since],
    )) as { n: number };
    return n < limit;
  }

  private async record(
    key: string,
    channel: string,
    n: Notification,
    responseIds: string[],
    res: DeliveryResult,
  ): Promise<void> {
    await this.sql.run(
      'INSERT INTO deliveries (recipient_key, channel, kind, idempotency_key, response_ids, at, ok, attempts, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        key,
        channel,
        n.kind,
        n.idempotencyKey,
        JSON.stringify(responseIds),
        this.now().toISOString(),
        res.ok,
        res.attempts,
        res.ok ? null : res.error,
      ],
    );
  }
}
