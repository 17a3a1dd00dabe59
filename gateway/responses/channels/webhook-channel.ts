import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Channel, DeliveryResult, Notification } from './channel.ts';

export interface WebhookOptions {
  name: string;
  url: string;
  /** Shared secret for the X-Roadwarden-Signature header (HMAC-SHA256 over "timestamp.body"). */
  secret: string;
  timeoutMs?: number;
  /** Attempts in all, with exponential back-off between them (base × 2^n, capped, jittered). */
  attempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
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
 * idempotency key, retried with back-off on network errors, timeouts, 429 and 5xx. A 4xx other
 * than 408/429 is final: the receiver understood and refused, retrying would not help.
 */
export class WebhookChannel implements Channel {
  readonly name: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;

  constructor(private readonly o: WebhookOptions) {
    this.name = o.name;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = o.now ?? (() => new Date());
  }

  async send(n: Notification): Promise<DeliveryResult> {
    const body = JSON.stringify({ idempotencyKey: n.idempotencyKey, caseId: n.caseId, responseId: n.responseId, kind: n.kind, ...(n.recipient ? { recipient: n.recipient } : {}), ...n.body });
    const attempts = this.o.attempts ?? 5;
    let error = '';
    for (let i = 1; i <= attempts; i++) {
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [IDEMPOTENCY_HEADER]: n.idempotencyKey,
            [SIGNATURE_HEADER]: signPayload(this.o.secret, body, this.now()),
          },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000),
        });
        await res.body?.cancel();
        if (res.ok) return { ok: true, attempts: i, status: res.status };
        error = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 408 && res.status !== 429) return { ok: false, attempts: i, error: `${error} (refused, not retried)` };
      } catch (e) {
        const err = e as Error;
        error = err.name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs ?? 5000} ms` : ((err.cause as Error | undefined)?.message ?? err.message);
      }
      this.o.logger?.warn({ channel: this.name, attempt: i, err: error, key: n.idempotencyKey }, 'webhook delivery failed');
      if (i < attempts) {
        const base = Math.min((this.o.backoffMs ?? 500) * 2 ** (i - 1), this.o.maxBackoffMs ?? 30_000);
        await this.sleep(base / 2 + Math.random() * (base / 2));
      }
    }
    return { ok: false, attempts, error };
  }
}
