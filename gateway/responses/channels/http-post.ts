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
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * POST a JSON body, retrying with back-off on network errors, timeouts, 408, 429 and 5xx. Any
 * other 4xx is final: the receiver understood and refused, so retrying would not help.
 * `headers` is called per attempt, so signatures carry a fresh timestamp.
 */
export async function postJson(url: string, body: string, headers: () => Record<string, string>, o: RetryOptions = {}): Promise<DeliveryResult> {
  const attempts = o.attempts ?? 5;
  const timeoutMs = o.timeoutMs ?? 5000;
  let error = '';
  for (let i = 1; i <= attempts; i++) {
    try {
      const attempt = async () => {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers() }, body, signal: AbortSignal.timeout(timeoutMs) });
        await r.body?.cancel();
        return r;
      };
      const res = o.limiter ? await o.limiter.run(attempt) : await attempt();
      if (res.ok) return { ok: true, attempts: i, status: res.status };
      error = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 408 && res.status !== 429) return { ok: false, attempts: i, error: `${error} (refused, not retried)` };
    } catch (e) {
      const err = e as Error;
      error = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((err.cause as Error | undefined)?.message ?? err.message);
    }
    o.onFailure?.(i, error);
    if (i < attempts) {
      const base = Math.min((o.backoffMs ?? 500) * 2 ** (i - 1), o.maxBackoffMs ?? 30_000);
      await (o.sleep ?? defaultSleep)(base / 2 + Math.random() * (base / 2));
    }
  }
  return { ok: false, attempts, error };
}
