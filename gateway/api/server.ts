import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { can, PERMISSIONS } from '../access/policy.ts';
import type { Viewer } from '../access/viewer.ts';
import { guardRequests } from './request-guard.ts';
import type { Access, RouteDef } from './route.ts';

declare module 'fastify' {
  interface FastifyRequest {
    viewer?: Viewer;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

export interface ApiServerOptions {
  routes: RouteDef[];
  /** Who sent this request (bearer token or session cookie), or undefined. */
  authenticate(req: FastifyRequest): Promise<Viewer | undefined>;
  host?: string;
  port: number;
  logger?: Logger;
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  /** Origins besides the gateway's own that may change things (a reverse proxy's address). */
  origins?: string[];
}

/**
 * The gateway's HTTP server. Every route is a RouteDef with its access; authentication runs after
 * routing, on the route that matched (so an encoded path cannot reach a route past its rule), and
 * a route without an access rule is refused at start.
 */
export async function startApiServer(o: ApiServerOptions): Promise<FastifyInstance> {
  // Request lines are noise at info level; the API's own warnings and errors still show.
  const loggerInstance = o.logger?.child({ unit: 'http' }, { level: 'warn' }) as FastifyBaseLogger | undefined;
  // The routes do not care which server type carries them; the instance types differ only by it.
  // At close, connections are ended, not awaited: the dashboard's live streams never go idle.
  const base = { loggerInstance, forceCloseConnections: true };
  const app = (o.tls
    ? Fastify({ ...base, https: { cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) } })
    : Fastify(base)) as unknown as FastifyInstance;
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 }, (_req, body, done) =>
    done(null, body),
  );
  guardRequests(app, { tls: Boolean(o.tls), origins: o.origins });
  app.addHook('onRoute', (r) => {
    if (r.config?.access === undefined && !r.url.startsWith('/openapi.json'))
      throw new Error(`route ${String(r.method)} ${r.url} has no access rule (use defineRoute)`);
  });
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const access = req.routeOptions.config?.access;
    // No route matched: the 404 handler answers, and tells nothing about what exists.
    if (access === undefined || access === 'public') return;
    const viewer = await o.authenticate(req);
    if (!viewer)
      return reply.code(401).send({
        error: 'unauthorized',
        message: 'log in, or send Authorization: Bearer <token> (roadwarden gateway token add)',
      });
    if (access !== 'signed-in' && !can(viewer.role, access)) {
      return reply
        .code(403)
        .send({ error: 'forbidden', message: `the ${viewer.role} role may not ${PERMISSIONS[access]}` });
    }
    req.viewer = viewer;
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'roadwarden gateway API',
        version: '1',
        description: '一报警三响应: devices, alarms, cases and their three responses, archive, evidence.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'roadwarden gateway token add --name N --role R' },
        },
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  for (const r of o.routes) mount(app, r);
  await app.ready();
  await app.listen({ port: o.port, host: o.host ?? '127.0.0.1' });
  return app;
}

function mount(app: FastifyInstance, r: RouteDef): void {
  const needsToken = r.access !== 'public';
  app.route({
    method: r.method,
    url: r.url,
    config: { access: r.access },
    ...(r.bodyLimit ? { bodyLimit: r.bodyLimit } : {}),
    schema: {
      ...(r.schema ?? {}),
      ...(r.hide ? { hide: true } : { summary: r.summary, tags: [r.tag], description: accessText(r.access) }),
      ...(needsToken ? { security: [{ bearer: [] }] } : {}),
      ...(r.consumes ? { consumes: r.consumes } : {}),
    },
    handler: (req, reply) =>
      r.handler(
        {
          viewer: req.viewer as Viewer,
          params: req.params as never,
          query: req.query as never,
          body: req.body as never,
          raw: req,
        },
        reply,
      ),
  });
}

const accessText = (a: Access): string =>
  a === 'public'
    ? 'No token.'
    : a === 'signed-in'
      ? 'Any signed-in account.'
      : `Needs permission ${a}: ${PERMISSIONS[a]}.`;
