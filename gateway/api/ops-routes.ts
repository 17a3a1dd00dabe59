import { defineRoute, type RouteDef } from './route.ts';
import { prometheusText, type MetricsSources } from './metrics.ts';

export interface OpsRouteDeps extends MetricsSources {
  health(): Record<string, unknown>;
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
      handler: async (_req, reply) => reply.type('text/plain; version=0.0.4').send(prometheusText(d)),
    }),
  ];
}
