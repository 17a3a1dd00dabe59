import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  WebhookChannel,
  signPayload,
  verifySignature,
} from './webhook-channel.ts';

interface Received {
  key: string;
  signatureOk: boolean;
  body: Record<string, unknown>;
}

/** A real local HTTP receiver standing in for the village app / police dispatch. */
async function receiver(
  secret: string,
  answers: number[] = [],
  delayMs = 0,
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  let n = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    got.push({
      key: String(req.headers[IDEMPOTENCY_HEADER]),
      signatureOk: verifySignature(secret, raw, String(req.headers[SIGNATURE_HEADER]), new Date()),
      body: JSON.parse(raw),
    });
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    res.writeHead(answers[n++] ?? 200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server };
}

const note = {
  idempotencyKey: 'case-1:police:1',
  caseId: 'case-1',
  responseId: 'r-1',
  kind: 'police' as const,
  body: { plate: '鲁PA1234' },
};

describe('WebhookChannel against a real local receiver', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  const fast = { backoffMs: 5, maxBackoffMs: 20 };

  it('posts signed JSON with the idempotency key', async () => {
    const r = await receiver('s3cret');
    servers.push(r.server);
    const res = await new WebhookChannel({ name: 'police', url: r.url, secret: 's3cret', ...fast }).send(note);
    expect(res).toEqual({ ok: true, attempts: 1, status: 200 });
    expect(r.got).toHaveLength(1);
    expect(r.got[0]).toMatchObject({
      key: 'case-1:police:1',
      signatureOk: true,
      body: { caseId: 'case-1', kind: 'police', plate: '鲁PA1234' },
    });
  });

  it('retries 5xx with the same key until it lands', async () => {
    const r = await receiver('s3cret', [503, 500, 200]);
    servers.push(r.server);
    const res = await new WebhookChannel({ name: 'police', url: r.url, secret: 's3cret', ...fast }).send(note);
    expect(res).toMatchObject({ ok: true, attempts: 3 });
    expect(new Set(r.got.map((g) => g.key))).toEqual(new Set(['case-1:police:1']));
  });

  it('does not retry a refusal, and gives up on a receiver that is down', async () => {
    const r = await receiver('s3cret', [400]);
    servers.push(r.server);
    expect(await new WebhookChannel({ name: 'v', url: r.url, secret: 's3cret', ...fast }).send(note)).toMatchObject({
      ok: false,
      attempts: 1,
      error: expect.stringMatching(/400/),
    });
    const down = new WebhookChannel({ name: 'v', url: 'http://127.0.0.1:9/hook', secret: 's', attempts: 3, ...fast });
    expect(await down.send(note)).toMatchObject({ ok: false, attempts: 3 });
  });

  it('times out a slow receiver and retries', async () => {
    const r = await receiver('s3cret', [], 300);
    servers.push(r.server);
    const res = await new WebhookChannel({
      name: 'v',
      url: r.url,
      secret: 's3cret',
      timeoutMs: 100,
      attempts: 2,
      ...fast,
    }).send(note);
    expect(res).toMatchObject({ ok: false, attempts: 2, error: expect.stringMatching(/no answer within 100 ms/) });
  });

  it('signature checks refuse a wrong secret, a changed body and an old timestamp', () => {
    const now = new Date('2026-11-29T08:00:00Z');
    const sig = signPayload('a', '{"x":1}', now);
    expect(verifySignature('a', '{"x":1}', sig, now)).toBe(true);
    expect(verifySignature('b', '{"x":1}', sig, now)).toBe(false);
    expect(verifySignature('a', '{"x":2}', sig, now)).toBe(false);
    expect(verifySignature('a', '{"x":1}', sig, new Date(now.getTime() + 301_000))).toBe(false);
  });
});
