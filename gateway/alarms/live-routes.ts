import type { EventEmitter } from 'node:events';
import { defineRoute, type RouteDef } from '../api/route.ts';
import type { ScopeCheck } from '../access/scope-query.ts';

/** What the dashboard's live stream carries: ids only; the page fetches rows through the API. */
export interface LiveEvents {
  alarm: [{ id: string; deviceId: string }];
  case: [{ id: string; deviceId: string }];
  response: [{ id: string; caseId: string; kind: string; state: string }];
}

/** A comment line this often keeps proxies and the browser from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export interface LiveRouteDeps {
  live: EventEmitter<LiveEvents>;
  scope: ScopeCheck;
}

/** Open streams, ended before the server waits for its connections to close (streams never go idle). */
export class LiveStreams {
  readonly open = new Set<{ end(): void }>();

  endAll(): void {
    for (const res of this.open) res.end();
  }
}

/**
 * Server-sent events for the dashboard: `alarm`, `case` and `response` with ids only, each checked
 * against the viewer's scope; the page fetches the rows through the API, which applies the role's
 * rules on personal data. EventSource reconnects by itself after `retry` ms.
 */
export function liveRoutes(d: LiveRouteDeps, streams: LiveStreams): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/stream',
      access: 'cases.read',
      tag: 'alarms',
      summary: 'Live updates as server-sent events: alarm, case and response changes in the user’s scope (ids; fetch the rows)',
      async handler(req, reply) {
        const v = req.viewer;
        reply.hijack();
        const res = reply.raw;
        streams.open.add(res);
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ user: v.name, at: new Date().toISOString() })}\n\n`);
        const send = (event: keyof LiveEvents, data: object) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        const onAlarm = (a: LiveEvents['alarm'][0]) => d.scope.device(v, a.deviceId) && send('alarm', a);
        const onCase = (c: LiveEvents['case'][0]) => d.scope.case(v, c.id) && send('case', c);
        const onResponse = (r: LiveEvents['response'][0]) => d.scope.case(v, r.caseId) && send('response', r);
        d.live.on('alarm', onAlarm);
        d.live.on('case', onCase);
        d.live.on('response', onResponse);
        const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        req.raw.raw.on('close', () => {
          streams.open.delete(res);
          clearInterval(beat);
          d.live.off('alarm', onAlarm);
          d.live.off('case', onCase);
          d.live.off('response', onResponse);
        });
      },
    }),
  ];
}
