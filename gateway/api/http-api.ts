import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Gateway } from '../gateway.ts';
import type { ApiTokens, ApiUser } from './api-tokens.ts';
import { prometheusText } from './metrics.ts';
import { ROUTE_DOCS } from './route-docs.ts';
import swagger from '@fastify/swagger';
import { deviceRoutes } from './device-routes.ts';
import { ScopeCheck } from '../registry/scope.ts';
import { ticketRoutes } from './ticket-routes.ts';
import { donorRoutes } from './donor-wall.ts';
import { sessionCookie, sessionRoutes } from './session-routes.ts';
import { alarmItem, alarmRoutes } from './alarm-routes.ts';
import { liveRoutes } from './live-routes.ts';
import { reportRoutes } from './report-routes.ts';
import { dashboardRoutes } from '../dashboard/dashboard-routes.ts';
import { ACTS_ON, personalDataOnly, seesPersonalData } from './roles.ts';

/** OpenAPI 3 at /openapi.json, built from the routes' own schemas plus ROUTE_DOCS. */
async function describeApi(app: FastifyInstance): Promise<void> {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  app.addHook('onRoute', (r) => {
    const d = ROUTE_DOCS[`${String(r.method)} ${r.url}`];
    if (!d) return;
    r.schema = { ...r.schema, summary: d.summary, tags: [d.tag], ...(r.url.startsWith('/api/') ? { security: [{ bearer: [] }] } : {}) };
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'roadwarden gateway API', version: '1', description: '一报警三响应: devices, alarms, cases and their three responses, archive, evidence.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'roadwarden gateway token add --name N --role R' } } },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}


declare module 'fastify' {
  interface FastifyRequest {
    user?: ApiUser;
  }
}

export interface HttpApiOptions {
  gateway: Gateway;
  tokens: ApiTokens;
  host?: string;
  port: number;
  logger?: Logger;
  /** The built dashboard (ensureDashboard), served at `/`. */
  dashboardDir?: string;
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
}

const ActionBody = {
  type: 'object',
  properties: { note: { type: 'string', maxLength: 2000 }, outcome: { type: 'string', maxLength: 2000 }, reason: { type: 'string', maxLength: 2000 } },
  additionalProperties: false,
} as const;

/**
 * The gateway's HTTP API (JSON, bearer tokens with roles): devices, alarms, cases, and the
 * actions on responses — acknowledge, complete (with the outcome), waive (with a reason).
 * /health and /metrics (Prometheus) need no token.
 */
export async function startHttpApi(o: HttpApiOptions): Promise<FastifyInstance> {
  // Request lines are noise at info level; the API's own warnings and errors still show.
  const loggerInstance = o.logger?.child({ unit: 'http' }, { level: 'warn' }) as FastifyBaseLogger | undefined;
  // The routes do not care which server type carries them; the instance types differ only by it.
  const app = (o.tls ? Fastify({ loggerInstance, https: { cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) } }) : Fastify({ loggerInstance })) as unknown as FastifyInstance;
  const gw = o.gateway;
  const inScope = new ScopeCheck(gw.db);
  await describeApi(app);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.url.startsWith('/api/')) return;
    if (req.method === 'POST' && req.url === '/api/v1/session') return;
    // Scripts send a bearer token; the dashboard's browser sends its session cookie.
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const user = m ? o.tokens.check(m[1]) : gw.sessions.check(sessionCookie(req));
    if (!user) return reply.code(401).send({ error: 'unauthorized', message: 'log in, or send Authorization: Bearer <token> (roadwarden gateway token add)' });
    req.user = user;
  });

  app.get('/health', async () => ({ ok: true, time: new Date().toISOString(), mqttPort: gw.broker?.port, intake: gw.intake?.stats, broker: gw.broker?.stats ?? 'external' }));
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send(prometheusText(gw)));

  sessionRoutes(app, gw);
  alarmRoutes(app, gw);
  liveRoutes(app, gw);
  reportRoutes(app, gw);
  deviceRoutes(app, gw);
  ticketRoutes(app, gw);
  donorRoutes(app, gw);
  if (o.dashboardDir) dashboardRoutes(app, o.dashboardDir);

  app.get<{ Querystring: { limit?: number; before?: string; open?: boolean } }>(
    '/api/v1/cases',
    { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500 }, before: { type: 'string' }, open: { type: 'boolean' } } } } },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const items = gw.cases.list({ limit, before: req.query.before, open: req.query.open, scope: req.user!.scope });
      return { items, next: items.length === limit ? items.at(-1)!.id : null };
    },
  );

  app.get<{ Params: { id: string } }>('/api/v1/cases/:id', async (req, reply) => {
    const c = gw.cases.getCase(req.params.id);
    // Out of the user's villages/area is answered as not there: no existence leaks.
    if (!c || !inScope.case(c.id, req.user!.scope)) return reply.code(404).send({ error: 'not_found', message: `no case ${req.params.id}` });
    const responses = gw.cases.responses(c.id).map((r) => ({ ...r, history: gw.cases.history(r.id), deliveries: gw.deliveries?.forResponse(r.id) ?? [] }));
    const alarm = alarmItem(gw, c.eventId, req.user!) ?? null;
    const personal = seesPersonalData(req.user!);
    const vehicle = personal && c.vehicleId ? (gw.archive.get(c.vehicleId) ?? null) : null;
    if (vehicle || (alarm && (alarm.photo || (alarm.plate && !alarm.plate.masked)))) gw.accessLog.record(req.user!, 'case', c.id);
    return { ...c, responses, alarm, vehicle };
  });

  app.get<{ Params: { id: string } }>('/api/v1/cases/:id/face-matches', { onRequest: personalDataOnly('face matching') }, async (req, reply) => {
    const c = gw.cases.getCase(req.params.id);
    if (!c || !inScope.case(c.id, req.user!.scope)) return reply.code(404).send({ error: 'not_found', message: `no case ${req.params.id}` });
    const ev = gw.db.prepare('SELECT evidence_id AS evidenceId FROM events WHERE id = ?').get(c.eventId) as { evidenceId: string | null } | undefined;
    gw.accessLog.record(req.user!, 'face_match', c.id);
    const matches = ev?.evidenceId ? gw.faces.matches(ev.evidenceId) : [];
    return { caseId: c.id, evidenceId: ev?.evidenceId ?? null, matches: matches.map((m) => ({ ...m, vehicle: gw.archive.lookup(m.plate) ?? null })) };
  });

  app.get<{ Querystring: { q: string } }>(
    '/api/v1/archive/vehicles',
    { onRequest: personalDataOnly('owner data'), schema: { querystring: { type: 'object', required: ['q'], properties: { q: { type: 'string', minLength: 1, maxLength: 32 } } } } },
    async (req) => {
      gw.accessLog.record(req.user!, 'archive_search', req.query.q);
      // A village cadre searches their own villagers; police and admins the county (townships do not limit the archive).
      return gw.archive.search(req.query.q, { villages: req.user!.scope?.villages });
    },
  );

  app.get<{ Querystring: { plate: string } }>(
    '/api/v1/archive/lookup',
    { onRequest: personalDataOnly('owner data'), schema: { querystring: { type: 'object', required: ['plate'], properties: { plate: { type: 'string', minLength: 2, maxLength: 16 } } } } },
    async (req, reply) => {
      gw.accessLog.record(req.user!, 'archive_lookup', req.query.plate);
      return gw.archive.lookup(req.query.plate) ?? reply.code(404).send({ error: 'not_found', message: `no vehicle on file near ${req.query.plate}` });
    },
  );

  app.post<{ Querystring: { commit?: boolean }; Body: string }>(
    '/api/v1/archive/import',
    { schema: { querystring: { type: 'object', properties: { commit: { type: 'boolean' } } } } },
    async (req, reply) => {
      if (req.user!.role !== 'admin') return reply.code(403).send({ error: 'forbidden', message: 'archive import is for admins' });
      if (typeof req.body !== 'string') return reply.code(415).send({ error: 'unsupported_media_type', message: 'send the CSV as text/csv' });
      const report = gw.archive.importCsv(req.body, req.query.commit === true);
      return reply.code(report.problems.length ? 422 : 200).send(report);
    },
  );

  app.get<{ Params: { id: string } }>('/api/v1/evidence/:id', { onRequest: personalDataOnly('evidence') }, async (req, reply) => {
    const row = gw.db.prepare('SELECT body FROM evidence WHERE id = ?').get(req.params.id) as { body: string } | undefined;
    if (!row || !inScope.evidence(req.params.id, req.user!.scope)) return reply.code(404).send({ error: 'not_found', message: `no evidence ${req.params.id}` });
    gw.accessLog.record(req.user!, 'evidence', req.params.id);
    const m = JSON.parse(row.body) as { images: Array<{ sha256: string }> };
    return { ...m, images: m.images.map((i) => ({ ...i, stored: gw.evidence.has(i.sha256), url: `/api/v1/images/${i.sha256}` })) };
  });

  app.get<{ Params: { sha256: string } }>(
    '/api/v1/images/:sha256',
    { onRequest: personalDataOnly('evidence images'), schema: { params: { type: 'object', properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } } } },
    async (req, reply) => {
      const jpeg = inScope.image(req.params.sha256, req.user!.scope) ? gw.evidence.get(req.params.sha256) : undefined;
      if (!jpeg) return reply.code(404).send({ error: 'not_found', message: `no image ${req.params.sha256} (never received, or past retention)` });
      gw.accessLog.record(req.user!, 'image', req.params.sha256);
      return reply.type('image/jpeg').header('cache-control', 'private, no-store').send(jpeg);
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/api/v1/access-log',
    { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } } } } },
    async (req, reply) => {
      if (req.user!.role !== 'admin') return reply.code(403).send({ error: 'forbidden', message: 'the access log is for admins' });
      return gw.accessLog.recent(req.query.limit ?? 100);
    },
  );

  const act = (verb: 'acknowledge' | 'complete' | 'waive' | 'reopen') =>
    app.post<{ Params: { id: string }; Body: { note?: string; outcome?: string; reason?: string } }>(
      `/api/v1/responses/:id/${verb}`,
      { schema: { body: ActionBody } },
      async (req, reply) => {
        const r = gw.cases.response(req.params.id);
        if (!r || !inScope.case(r.caseId, req.user!.scope)) return reply.code(404).send({ error: 'not_found', message: `no response ${req.params.id}` });
        const engine = gw.responses;
        if (!engine) return reply.code(409).send({ error: 'no_plans', message: 'no response plans are configured' });
        const user = req.user!;
        if (!ACTS_ON[user.role]?.includes(r.kind)) return reply.code(403).send({ error: 'forbidden', message: `role ${user.role} may not act on ${r.kind} responses` });
        const body = req.body ?? {};
        try {
          if (verb === 'acknowledge') return engine.acknowledge(r.id, user.name, body.note);
          if (verb === 'complete') return engine.complete(r.id, user.name, body.outcome ?? body.note ?? '');
          if (verb === 'reopen') return engine.reopen(r.id, user.name, body.reason ?? '');
          return engine.waive(r.id, user.name, body.reason ?? '');
        } catch (e) {
          const err = e as Error & { code?: string };
          return reply.code(err.code === 'bad_transition' ? 409 : 400).send({ error: err.code ?? 'bad_request', message: err.message });
        }
      },
    );
  act('acknowledge');
  act('complete');
  act('waive');
  act('reopen');

  await app.ready();
  await app.listen({ port: o.port, host: o.host ?? '0.0.0.0' });
  return app;
}
