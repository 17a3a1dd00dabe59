import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionInfo } from '../../protocols/index.ts';
import type { Gateway } from '../gateway.ts';
import type { ApiUser } from './api-tokens.ts';
import { ACTS_ON, seesPersonalData } from './roles.ts';
import { LoginThrottle, SESSION_COOKIE } from './sessions.ts';

/** Roles that may log in to the dashboard: people, not the intake account. */
const PEOPLE = new Set(['admin', 'police', 'village', 'technician']);

export function sessionCookie(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function setCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number): void {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  // SameSite=Strict: another site cannot make the browser act with this log-in.
  reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`);
}

const describe = (u: ApiUser): SessionInfo => ({ name: u.name, role: u.role, scope: u.scope ?? null, actsOn: ACTS_ON[u.role] ?? [], seesPersonalData: seesPersonalData(u) });

/** Log in (operator account and password, scrypt-checked), who am I, log out. */
export function sessionRoutes(app: FastifyInstance, gw: Gateway): void {
  const throttle = new LoginThrottle();

  app.post<{ Body: { username: string; password: string } }>(
    '/api/v1/session',
    {
      schema: {
        body: {
          type: 'object',
          required: ['username', 'password'],
          properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 256 } },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const wait = throttle.lockedFor(username);
      if (wait) {
        return reply
          .code(429)
          .header('retry-after', String(Math.ceil(wait / 1000)))
          .send({ error: 'locked', message: `too many failed log-ins for ${username}; try again in ${Math.ceil(wait / 60_000)} min` });
      }
      const who = await gw.credentials.verify(username, password);
      if (!who || who.kind !== 'operator' || !PEOPLE.has(who.role)) {
        throttle.failed(username);
        return reply.code(401).send({ error: 'unauthorized', message: 'user name or password is wrong' });
      }
      throttle.succeeded(username);
      const user: ApiUser = { name: who.id, role: who.role, ...(who.scope ? { scope: who.scope } : {}) };
      const s = gw.sessions.open(user);
      setCookie(req, reply, s.token, Math.round((Date.parse(s.expiresAt) - Date.now()) / 1000));
      return { ...describe(user), expiresAt: s.expiresAt };
    },
  );

  app.get('/api/v1/session', async (req) => describe(req.user!));

  app.delete('/api/v1/session', async (req, reply) => {
    const token = sessionCookie(req);
    if (token) gw.sessions.close(token);
    setCookie(req, reply, '', 0);
    return { ok: true };
  });
}
