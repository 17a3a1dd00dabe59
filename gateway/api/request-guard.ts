import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** For a response that sets no policy of its own (the dashboard page sets a wider one). */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Headers on every response, and the cross-origin rule for every request that changes something.
 * Browsers send a session cookie with a form posted from any page of the same site (another port
 * of the gateway's host is the same site): a request that carries an Origin (or Sec-Fetch-Site)
 * from anywhere but the gateway itself is refused before authentication. CLI and scripts send
 * neither and are not affected. `origins` adds the addresses of a reverse proxy in front.
 */
export function guardRequests(app: FastifyInstance, o: { tls: boolean; origins?: string[] }): void {
  const extra = new Set((o.origins ?? []).map((x) => x.replace(/\/+$/, '').toLowerCase()));
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!CHANGES.has(req.method)) return;
    const why = crossOrigin(req, o.tls, extra);
    if (why)
      return reply.code(403).send({
        error: 'cross_origin',
        message: `refused a ${req.method} from another site (${why}); open the dashboard at the gateway's own address`,
      });
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    // Answers hold plates, names, phones and images: no browser or proxy keeps a copy.
    if (!reply.hasHeader('cache-control') && !req.url.startsWith('/assets/')) reply.header('cache-control', 'no-store');
    if (o.tls) reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });
}

/** Why the request comes from another origin, or undefined when it does not (or says nothing). */
export function crossOrigin(
  req: Pick<FastifyRequest, 'headers'>,
  tls: boolean,
  extra: Set<string> = new Set(),
): string | undefined {
  const origin = header(req, 'origin');
  if (origin !== undefined) {
    const own = `${tls ? 'https' : 'http'}://${header(req, 'host') ?? ''}`.toLowerCase();
    const o = origin.toLowerCase();
    return o === own || extra.has(o) ? undefined : `Origin ${origin.slice(0, 100)}`;
  }
  const site = header(req, 'sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none' ? undefined : `Sec-Fetch-Site ${site}`;
}

function header(req: Pick<FastifyRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
