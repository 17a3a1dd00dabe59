import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validateRegistration } from '../../protocols/index.ts';
import type { Gateway } from '../gateway.ts';
import { CommissionError } from '../registry/commissioning.ts';
import { ScopeCheck } from '../registry/scope.ts';

const COMMISSIONERS = new Set(['admin', 'technician']);
const STATUS: Record<CommissionError['code'], number> = { exists: 409, bad_signature: 403, bad_schema: 400 };

const ReplaceQuery = { type: 'object', properties: { replace: { type: 'boolean' } } } as const;

/** Devices: the registry, registration by `roadwarden commission` (online or from a signed file), self-test reports. */
export function deviceRoutes(app: FastifyInstance, gw: Gateway): void {
  const onlyCommissioners = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!COMMISSIONERS.has(req.user!.role)) return reply.code(403).send({ error: 'forbidden', message: `registering boxes is for technicians and admins, not the ${req.user!.role} role` });
  };
  const commissionFailed = (e: unknown, reply: FastifyReply) => {
    if (!(e instanceof CommissionError)) throw e;
    return reply.code(STATUS[e.code]).send({ error: e.code, message: e.message });
  };

  const inScope = new ScopeCheck(gw.db);
  // What the devices table shows beside the registry: the last alarm, battery, open fault tickets.
  const extras = gw.db.prepare(
    `SELECT d.id, (SELECT max(e.ts) FROM events e WHERE e.device_id = d.id AND e.severity = 'alarm') AS lastAlarmAt,
       json_extract(d.last_telemetry, '$.power.batteryV') AS batteryV,
       (SELECT count(*) FROM tickets t WHERE t.device_id = d.id AND t.closed_at IS NULL) AS openTickets
     FROM devices d`,
  );
  app.get('/api/v1/devices', async (req) => {
    const more = new Map((extras.all() as Array<{ id: string; lastAlarmAt: string | null; batteryV: number | null; openTickets: number }>).map(({ id, ...x }) => [id, x]));
    return gw.registry
      .list()
      .filter((d) => inScope.device(d.id, req.user!.scope))
      .map((d) => ({ ...d, ...more.get(d.id) }));
  });

  app.get<{ Params: { id: string }; Querystring: { hours?: number } }>(
    '/api/v1/devices/:id/telemetry',
    { schema: { querystring: { type: 'object', properties: { hours: { type: 'number', minimum: 1, maximum: 24 * 31 } } } } },
    async (req, reply) => {
      if (!inScope.device(req.params.id, req.user!.scope) || !gw.registry.get(req.params.id)) return reply.code(404).send({ error: 'not_found', message: `no device ${req.params.id}` });
      const since = new Date(Date.now() - (req.query.hours ?? 24) * 3_600_000).toISOString();
      // At most ~500 points: every n-th report over long spans, enough for a sparkline.
      const n = (gw.db.prepare('SELECT count(*) AS n FROM telemetry WHERE device_id = ? AND ts >= ?').get(req.params.id, since) as { n: number }).n;
      const every = Math.max(1, Math.ceil(n / 500));
      return gw.db
        .prepare(
          `SELECT ts, json_extract(body, '$.power.batteryV') AS batteryV, json_extract(body, '$.power.solarV') AS solarV,
             json_extract(body, '$.temperatureC') AS temperatureC, json_extract(body, '$.diskFreeMb') AS diskFreeMb,
             json_extract(body, '$.outbox.pending') AS outboxPending
           FROM (SELECT ts, body, row_number() OVER (ORDER BY ts) AS k FROM telemetry WHERE device_id = ? AND ts >= ?) WHERE (k - 1) % ? = 0 ORDER BY ts`,
        )
        .all(req.params.id, since, every);
    },
  );

  app.get('/api/v1/map', async (_req, reply) => gw.map ?? reply.code(404).send({ error: 'not_found', message: 'no county map is configured (map.geojson in gateway.yaml)' }));

  app.post<{ Params: { id: string } }>('/api/v1/devices/:id/self-test', async (req, reply) => {
    if (!COMMISSIONERS.has(req.user!.role)) return reply.code(403).send({ error: 'forbidden', message: `a remote self-test is for technicians and admins, not the ${req.user!.role} role` });
    if (!inScope.device(req.params.id, req.user!.scope) || !gw.registry.get(req.params.id)) return reply.code(404).send({ error: 'not_found', message: `no device ${req.params.id}` });
    const commandId = await gw.sendCommand(req.params.id, 'self_test', {});
    return reply.code(202).send({ commandId, message: 'sent; the report appears under the device’s self-tests when the box has run it' });
  });

  app.get<{ Params: { id: string } }>('/api/v1/devices/:id', async (req, reply) => {
    const d = gw.registry.get(req.params.id);
    if (!d || !inScope.device(d.id, req.user!.scope)) return reply.code(404).send({ error: 'not_found', message: `no device ${req.params.id}` });
    return { ...d, selftests: gw.selftests.list(d.id, 5), openTickets: gw.tickets.list({ deviceId: d.id, open: true }) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/devices/:id/selftests', async (req) => gw.selftests.list(req.params.id, 100));

  app.post<{ Querystring: { replace?: boolean }; Body: unknown }>(
    '/api/v1/devices',
    { onRequest: onlyCommissioners, schema: { querystring: ReplaceQuery } },
    async (req, reply) => {
      const reg = validateRegistration(req.body);
      if (!reg.ok) return reply.code(400).send({ error: 'bad_schema', message: reg.error.message });
      try {
        return reply.code(201).send(gw.commissioning.register(reg.value, req.user!.name, req.query.replace === true));
      } catch (e) {
        return commissionFailed(e, reply);
      }
    },
  );

  app.post<{ Querystring: { replace?: boolean }; Body: unknown }>(
    '/api/v1/devices/registrations',
    { onRequest: onlyCommissioners, schema: { querystring: ReplaceQuery } },
    async (req, reply) => {
      try {
        return reply.code(201).send(gw.commissioning.upload(req.body, req.user!.name, (name) => gw.tokens.digestOf(name), req.query.replace === true));
      } catch (e) {
        return commissionFailed(e, reply);
      }
    },
  );
}
