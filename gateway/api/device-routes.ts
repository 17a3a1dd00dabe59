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
  app.get('/api/v1/devices', async (req) => gw.registry.list().filter((d) => inScope.device(d.id, req.user!.scope)));

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
