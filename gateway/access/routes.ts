import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionInfo } from '../../protocols/index.ts';
import { defineRoute, type RouteDef } from '../api/route.ts';
import type { AccessLog } from './access-log-store.ts';
import type { CredentialStore } from './credential-store.ts';
import type { LoginGuard } from './login-throttle.ts';
import { can, responseKindsFor } from './policy.ts';
import { SESSION_COOKIE, type Sessions } from './session-store.ts';
import { seesPersonalData, type Viewer } from './viewer.ts';

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
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`,
  );
}

const describe = (u: Viewer): SessionInfo => ({
  name: u.name,
  role: u.role,
  scope: u.scope ?? null,
  actsOn: responseKindsFor(u.role),
  seesPersonalData: seesPersonalData(u),
});

export interface AccessRouteDeps {
  credentials: CredentialStore;
  sessions: Sessions;
  accessLog: AccessLog;
  logins: LoginGuard;
}

/** Log in (operator account and password, scrypt-checked), who am I, log out; the access log. */
export function accessRoutes(d: AccessRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/session',
      access: 'public',
      tag: 'session',
      summary:
        'Log in to the dashboard with an operator account: sets an HttpOnly session cookie (no token; 5 failures lock the name for 5 min)',
      schema: {
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.String({ minLength: 1, maxLength: 256 }),
          },
          { additionalProperties: false },
        ),
      },
      example: { username: 'nobody', password: 'wrong-password' },
      async handler(req, reply) {
        const { username, password } = req.body;
        const wait = d.logins.lockedFor(username, req.raw.ip);
        if (wait) {
          return reply
            .code(429)
            .header('retry-after', String(Math.ceil(wait / 1000)))
            .send({
              error: 'locked',
              message: `too many failed log-ins for ${username}; try again in ${Math.ceil(wait / 60_000)} min`,
            });
        }
        const who = await d.credentials.verify(username, password);
        if (who?.kind !== 'operator' || !can(who.role, 'dashboard.login')) {
          d.logins.failed(username, req.raw.ip);
          return reply.code(401).send({ error: 'unauthorized', message: 'user name or password is wrong' });
        }
        d.logins.succeeded(username);
        const user: Viewer = { name: who.id, role: who.role, ...(who.scope ? { scope: who.scope } : {}) };
        const s = await d.sessions.open(user);
        setCookie(req.raw, reply, s.token, Math.round((Date.parse(s.expiresAt) - Date.now()) / 1000));
        return { ...describe(user), expiresAt: s.expiresAt };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/session',
      access: 'signed-in',
      tag: 'session',
      summary: 'Who is logged in: name, role, villages/townships',
      handler: async (req) => describe(req.viewer),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/session',
      access: 'signed-in',
      tag: 'session',
      summary: 'Log out',
      async handler(req, reply) {
        const token = sessionCookie(req.raw);
        if (token) await d.sessions.close(token);
        setCookie(req.raw, reply, '', 0);
        return { ok: true };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access-log',
      access: 'accesslog.read',
      tag: 'operations',
      summary: 'Who viewed which personal data, newest first (admin)',
      schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }) },
      handler: (req) => d.accessLog.recent(req.query.limit ?? 100),
    }),
  ];
}
