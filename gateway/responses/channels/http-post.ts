import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { DeliveryResult } from './channel.ts';
import type { Limiter } from './limiter.ts';

export interface RetryOptions {
  timeoutMs?: number;
  /** Attempts in all, with exponential back-off between them (base × 2^n, capped, jittered). */
  attempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called after each failed attempt (for logs). */
  onFailure?: (attempt: number, error: string) => void;
  /** Bounds the requests in flight to this receiver (each attempt waits its turn). */
  limiter?: Limiter;
  /** The gateway is stopping: end the request in flight and try no more. */
  signal?: AbortSignal;
}

export const STOPPED = 'not sent: the gateway is stopping';

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// node:http with kept-alive connections, not fetch: at 200 alarms/s (two webhooks each) fetch's
// overhead alone took most of a core and deliveries queued for seconds (bench gateway).
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** One POST; resolves with the status once the answer has been read, rejects on network errors and timeouts. */
function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<number> {
  const tls = url.protocol === 'https:';
  const send = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        signal,
        agent: tls ? agents.https : agents.http,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new TimeoutError()));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * POST a JSON body, retrying with back-off on network errors, timeouts, 408, 429 and 5xx. Any
 * other 4xx is final: the receiver understood and refused, so retrying would not help.
 * `headers` is called per attempt, so signatures carry a fresh timestamp.
 */
export async function postJson(
  url: string,
  body: string,
  headers: () => Record<string, string>,
  o: RetryOptions = {},
): Promise<DeliveryResult> {
  const target = new URL(url);
  const attempts = o.attempts ?? 5;
  const timeoutMs = o.timeoutMs ?? 5000;
  let error = '';
  for (let i = 1; i <= attempts; i++) {
    if (o.signal?.aborted) return { ok: false, attempts: i - 1, error: STOPPED };
    try {
      const attempt = () => post(target, body, headers(), timeoutMs, o.signal);
      const status = o.limiter ? await o.limiter.run(attempt) : await attempt();
      if (status >= 200 && status < 300) return { ok: true, attempts: i, status };
      error = `HTTP ${status}`;
      if (status < 500 && status !== 408 && status !== 429)
        return { ok: false, attempts: i, error: `${error} (refused, not retried)` };
    } catch (e) {
      const err = e as Error;
      error = err instanceof TimeoutError ? `no answer within ${timeoutMs} ms` : err.message;
    }
    if (o.signal?.aborted) return { ok: false, attempts: i, error: STOPPED };
    o.onFailure?.(i, error);
    if (i < attempts) {
      const base = Math.min((o.backoffMs ?? 500) * 2 ** (i - 1), o.maxBackoffMs ?? 30_000);
      await Promise.race([
        (o.sleep ?? defaultSleep)(base / 2 + Math.random() * (base / 2)),
        new Promise((r) => o.signal?.addEventListener('abort', r, { once: true })),
      ]);
    }
  }
  return { ok: false, attempts, error };
}
