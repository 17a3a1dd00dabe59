import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { notificationJson, type Channel, type DeliveryResult, type Notification } from './channel.ts';
import { postJson, type RetryOptions } from './http-post.ts';
import { Limiter } from './limiter.ts';

export interface WebhookOptions extends RetryOptions {
  maxInFlight?: number;
  name: string;
  url: string;
  /** Shared secret for the X-Roadwarden-Signature header (HMAC-SHA256 over "timestamp.body"). */
  secret: string;
  now?: () => Date;
  logger?: Logger;
}

export const SIGNATURE_HEADER = 'x-roadwarden-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** `t=<unix seconds>,v1=<hex>`: the receiver recomputes it and refuses old timestamps (replays). */
export function signPayload(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export function verifySignature(secret: string, body: string, header: string, now: Date, toleranceS = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(now.getTime() / 1000 - t) > toleranceS) return false;
  const want = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return want === m[2];
}

/**
 * JSON over HTTP POST to a receiver's endpoint, signed with HMAC-SHA256 and carrying an
 * idempotency key, retried with back-off (see postJson).
 */
export class WebhookChannel implements Channel {
  readonly name: string;
  /** Requests in flight to this receiver at most (default 8). */
  private readonly limiter: Limiter;
  private readonly now: () => Date;

  constructor(private readonly o: WebhookOptions) {
    this.name = o.name;
    this.limiter = new Limiter(o.maxInFlight ?? 8);
    this.now = o.now ?? (() => new Date());
  }

  send(n: Notification, signal?: AbortSignal): Promise<DeliveryResult> {
    const body = notificationJson(n);
    const headers = () => ({
      [IDEMPOTENCY_HEADER]: n.idempotencyKey,
      [SIGNATURE_HEADER]: signPayload(this.o.secret, body, this.now()),
    });
    return postJson(this.o.url, body, headers, {
      ...this.o,
      signal,
      limiter: this.limiter,
      onFailure: (attempt, err) =>
        this.o.logger?.warn({ channel: this.name, attempt, err, key: n.idempotencyKey }, 'webhook delivery failed'),
    });
  }
}
