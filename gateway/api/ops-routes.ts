import { defineRoute, type RouteDef } from './route.ts';
import type { Metrics } from '../metrics.ts';

export interface OpsRouteDeps {
  health(): Record<string, unknown>;
  metrics: Metrics;
}

/** Liveness and Prometheus metrics, for the county's monitoring (no token). */
export function opsRoutes(d: OpsRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/health',
      access: 'public',
      tag: 'operations',
      summary: 'Liveness and intake/broker counters (no token)',
      handler: async () => ({ ok: true, time: new Date().toISOString(), ...d.health() }),
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      access: 'public',
      tag: 'operations',
      summary: 'Prometheus metrics (no token)',
      handler: async (_req, reply) => reply.type(d.metrics.contentType).send(await d.metrics.metrics()),
    }),
  ];
}
