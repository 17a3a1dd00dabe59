import type { EventMessage } from '../../protocols/index.ts';
import { defineRoute, type RouteDef } from '../api/route.ts';
import type { ScopeCheck } from '../access/scope-query.ts';
import type { GatewayBus, GatewayEvents } from '../bus.ts';

/** A comment line this often keeps proxies and the browser from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export interface LiveRouteDeps {
  bus: GatewayBus;
  scope: ScopeCheck;
}

/**
 * Server-sent events for the dashboard: `alarm`, `case` and `response` with ids only, each checked
 * against the viewer's scope; the page fetches the rows through the API, which applies the role's
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
        const onEvent = async (e: EventMessage) =>
          e.severity === 'alarm' &&
          (await d.scope.device(v, e.deviceId)) &&
          send('alarm', { id: e.id, deviceId: e.deviceId });
        const onCase = async (c: GatewayEvents['case'][0]) => (await d.scope.case(v, c.id)) && send('case', c);
        const onResponse = async (r: GatewayEvents['response'][0]) =>
          (await d.scope.case(v, r.caseId)) && send('response', r);
        d.bus.on('event', onEvent);
        d.bus.on('case', onCase);
        d.bus.on('response', onResponse);
        const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        req.raw.raw.on('close', () => {
          clearInterval(beat);
          d.bus.off('event', onEvent);
          d.bus.off('case', onCase);
          d.bus.off('response', onResponse);
        });
      },
    }),
  ];
}
