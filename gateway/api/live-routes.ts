import type { FastifyInstance } from 'fastify';
import type { Gateway, LiveEvents } from '../gateway.ts';
import { ScopeCheck } from '../registry/scope.ts';

/** A comment line this often keeps proxies and the browser from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events for the dashboard: `alarm`, `case` and `response` with ids only, each checked
 * against the user's scope; the page fetches the rows through the API, which applies the role's
 * rules on personal data. EventSource reconnects by itself after `retry` ms.
 */
export function liveRoutes(app: FastifyInstance, gw: Gateway): void {
  const inScope = new ScopeCheck(gw.db);
  const open = new Set<{ end(): void }>();
  // Streams never go idle: end them before the server waits for its connections to close.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });
  app.get('/api/v1/stream', (req, reply) => {
    const scope = req.user!.scope;
    reply.hijack();
    const res = reply.raw;
    open.add(res);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ user: req.user!.name, at: new Date().toISOString() })}\n\n`);
    const send = (event: keyof LiveEvents, data: object) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const onAlarm = (a: LiveEvents['alarm'][0]) => inScope.device(a.deviceId, scope) && send('alarm', a);
    const onCase = (c: LiveEvents['case'][0]) => inScope.case(c.id, scope) && send('case', c);
    const onResponse = (r: LiveEvents['response'][0]) => inScope.case(r.caseId, scope) && send('response', r);
    gw.live.on('alarm', onAlarm);
    gw.live.on('case', onCase);
    gw.live.on('response', onResponse);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    req.raw.on('close', () => {
      open.delete(res);
      clearInterval(beat);
      gw.live.off('alarm', onAlarm);
      gw.live.off('case', onCase);
      gw.live.off('response', onResponse);
    });
  });
}
