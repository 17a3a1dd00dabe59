import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { defineRoute, type RouteDef } from '../api/route.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** Only what the page and its own scripts need: no other site's code or images. */
const CSP =
  "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The built dashboard on the API's port: `/` is the page (never cached, so a new build shows at
 * once), `/assets/*` the hashed bundles (cached for good, the name changes with the content).
 */
export function dashboardRoutes(dir: string): RouteDef[] {
  const index = readFileSync(join(dir, 'index.html'));
  return [
    defineRoute({
      method: 'GET',
      url: '/',
      access: 'public',
      tag: 'dashboard',
      summary: 'The dashboard page',
      hide: true,
      handler: async (_req, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-cache')
          .header('content-security-policy', CSP)
          .send(index),
    }),
    defineRoute({
      method: 'GET',
      url: '/assets/:file',
      access: 'public',
      tag: 'dashboard',
      summary: 'The dashboard bundles',
      hide: true,
      schema: { params: Type.Object({ file: Type.String({ maxLength: 200 }) }) },
      async handler(req, reply) {
        const name = basename(req.params.file);
        const path = join(dir, 'assets', name);
        const type = TYPES[name.slice(name.lastIndexOf('.'))];
        if (!type || !existsSync(path))
          return reply.code(404).send({ error: 'not_found', message: `no asset ${name}` });
        return reply.type(type).header('cache-control', 'public, max-age=31536000, immutable').send(readFileSync(path));
      },
    }),
  ];
}
