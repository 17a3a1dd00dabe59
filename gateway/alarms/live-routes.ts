import { defineRoute, type RouteDef } from '../api/route.ts';
import type { ScopeCheck } from '../access/scope-query.ts';
import type { LiveFeed, LiveUpdate } from './live-feed.ts';

/** A comment line this often keeps proxies and the browser from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export interface LiveRouteDeps {
  live: LiveFeed;
  scope: ScopeCheck;
}

/**
 * Server-sent events for the dashboard: `alarm`, `case` and `response` with ids only, from every
 * worker (live-feed.ts), each checked against the viewer's scope; the page fetches the rows through the API, which applies the role's
 * rules on personal data. EventSource reconnects by itself after `retry` ms.
 */
export function liveRoutes(d: LiveRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/stream',
      access: 'cases.read',
      tag: 'alarms',
      summary:
        'Live updates as server-sent events: alarm, case and response changes in the user’s scope (ids; fetch the rows)',
      async handler(req, reply) {
        const v = req.viewer;
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(
          `retry: 3000\nevent: hello\ndata: ${JSON.stringify({ user: v.name, at: new Date().toISOString() })}\n\n`,
        );
        const send = (event: string, data: object) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        const inScope = (u: LiveUpdate) =>
          u.type === 'alarm'
            ? d.scope.device(v, u.data.deviceId)
            : d.scope.case(v, u.type === 'case' ? u.data.id : u.data.caseId);
        const off = d.live.on((u) => {
          inScope(u).then(
            (ok) => ok && send(u.type, u.data),
            () => {},
          );
        });
        const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        req.raw.raw.on('close', () => {
          clearInterval(beat);
          off();
        });
      },
    }),
  ];
}
