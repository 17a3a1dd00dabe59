import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway } from '../gateway.ts';
import { TicketError } from '../tickets/fault-watcher.ts';

/** Roles that see and work fault tickets. */
const TICKET_ROLES = new Set(['admin', 'technician', 'gateway']);

const STATUS: Record<TicketError['code'], number> = { not_found: 404, already_closed: 409, note_required: 400, selftest_required: 409 };

/** Fault tickets (故障工单): list, one, close (销号), and the daily summary per township. */
export function ticketRoutes(app: FastifyInstance, gw: Gateway): void {
  const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!TICKET_ROLES.has(req.user!.role)) return reply.code(403).send({ error: 'forbidden', message: `fault tickets are for technicians and admins, not the ${req.user!.role} role` });
  };

  app.get<{ Querystring: { open?: boolean; township?: string; device?: string; limit?: number; before?: string } }>(
    '/api/v1/tickets',
    {
      onRequest,
      schema: {
        querystring: {
          type: 'object',
          properties: { open: { type: 'boolean' }, township: { type: 'string' }, device: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500 }, before: { type: 'string' } },
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const items = gw.tickets.list({ open: req.query.open, township: req.query.township, deviceId: req.query.device, limit, before: req.query.before });
      return { items, next: items.length === limit ? items.at(-1)!.id : null };
    },
  );

  app.get<{ Querystring: { day?: string } }>(
    '/api/v1/tickets/summary',
    { onRequest, schema: { querystring: { type: 'object', properties: { day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } } } } },
    async (req) => gw.faults.daySummary(req.query.day),
  );

  app.get<{ Params: { id: string } }>('/api/v1/tickets/:id', { onRequest }, async (req, reply) => {
    const t = gw.tickets.get(req.params.id);
    if (!t) return reply.code(404).send({ error: 'not_found', message: `no ticket ${req.params.id}` });
    return { ...t, selftest: t.selftestId ? gw.selftests.get(t.selftestId) : undefined };
  });

  app.post<{ Params: { id: string }; Body: { note: string } }>(
    '/api/v1/tickets/:id/close',
    { onRequest, schema: { body: { type: 'object', required: ['note'], properties: { note: { type: 'string', maxLength: 2000 } }, additionalProperties: false } } },
    async (req, reply) => {
      try {
        return gw.faults.close(req.params.id, req.user!.name, req.body.note);
      } catch (e) {
        if (!(e instanceof TicketError)) throw e;
        return reply.code(STATUS[e.code]).send({ error: e.code, message: e.message });
      }
    },
  );
}
