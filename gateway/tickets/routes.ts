import { Type } from '@sinclair/typebox';
import type { SelfTests } from '../devices/selftest-store.ts';
import { defineRoute, notFound, type RouteDef } from '../api/route.ts';
import { TicketError, type FaultWatcher } from './fault-watcher.ts';
import type { TicketStore } from './ticket-store.ts';

const STATUS: Record<TicketError['code'], number> = {
  not_found: 404,
  already_closed: 409,
  note_required: 400,
  selftest_required: 409,
};
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export interface TicketRouteDeps {
  tickets: TicketStore;
  faults: FaultWatcher;
  selftests: SelfTests;
}

/** Fault tickets (故障工单) of the boxes in the viewer's scope: list, one, close (销号), and the daily summary per township. */
export function ticketRoutes(d: TicketRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/tickets',
      access: 'tickets.work',
      tag: 'tickets',
      summary: 'Fault tickets (故障工单), newest first; ?open=true&township=&device= (technician, admin)',
      schema: {
        querystring: Type.Object({
          open: Type.Optional(Type.Boolean()),
          township: Type.Optional(Type.String({ maxLength: 100 })),
          device: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          before: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
      async handler(req) {
        const limit = req.query.limit ?? 100;
        const items = await d.tickets.list(req.viewer, {
          open: req.query.open,
          township: req.query.township,
          deviceId: req.query.device,
          limit,
          before: req.query.before,
        });
        return { items, next: items.length === limit ? items.at(-1)!.id : null };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/tickets/summary',
      access: 'tickets.work',
      tag: 'tickets',
      summary: 'Daily summary per township: opened, closed, open at the end of the day (?day=YYYY-MM-DD)',
      schema: { querystring: Type.Object({ day: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })) }) },
      handler: (req) => d.faults.daySummary(req.query.day, req.viewer),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/tickets/:id',
      access: 'tickets.work',
      tag: 'tickets',
      summary: 'One ticket, with the self-test that closed it',
      schema: { params: Id },
      subjects: { id: 'ticket' },
      async handler(req, reply) {
        const t = await d.tickets.getFor(req.viewer, req.params.id);
        if (!t) return notFound(reply, `ticket ${req.params.id}`);
        return { ...t, selftest: t.selftestId ? await d.selftests.get(t.selftestId) : undefined };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/tickets/:id/close',
      access: 'tickets.work',
      tag: 'tickets',
      summary: '销号: close with a note; refused without a passing self-test after the fault was last seen',
      schema: {
        params: Id,
        body: Type.Object({ note: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }),
      },
      subjects: { id: 'ticket' },
      example: { note: 'replaced the lamp' },
      async handler(req, reply) {
        if (!(await d.tickets.getFor(req.viewer, req.params.id))) return notFound(reply, `ticket ${req.params.id}`);
        try {
          return await d.faults.close(req.params.id, req.viewer.name, req.body.note);
        } catch (e) {
          if (!(e instanceof TicketError)) throw e;
          return reply.code(STATUS[e.code]).send({ error: e.code, message: e.message });
        }
      },
    }),
  ];
}
