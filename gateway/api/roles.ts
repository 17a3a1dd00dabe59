import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResponseKind } from '../responses/response-state.ts';
import type { ApiUser } from './api-tokens.ts';

/** What each role may see and do. */

/** Roles that may see faces, full plates, owners' names and evidence images (each view is logged). */
export const SEES_PERSONAL_DATA: ReadonlySet<string> = new Set(['admin', 'police', 'village']);

export const seesPersonalData = (u: ApiUser): boolean => SEES_PERSONAL_DATA.has(u.role);

/** A plate as others see it: province, letter and the last two characters (鲁P***23). */
export function maskPlate(plate: string): string {
  const c = [...plate];
  return c.length <= 4 ? '*'.repeat(c.length) : `${c.slice(0, 2).join('')}${'*'.repeat(c.length - 4)}${c.slice(-2).join('')}`;
}

/** Which roles may act on which response. */
export const ACTS_ON: Readonly<Record<string, readonly ResponseKind[]>> = {
  admin: ['onsite', 'village', 'police'],
  gateway: ['onsite', 'village', 'police'],
  police: ['police'],
  village: ['village'],
  technician: ['onsite'],
};

/** A route guard (onRequest) for personal data: 403, naming what, for roles that may not see it. */
export const personalDataOnly = (what: string) => async (req: FastifyRequest, reply: FastifyReply) => {
  if (!SEES_PERSONAL_DATA.has(req.user!.role)) return reply.code(403).send({ error: 'forbidden', message: `${what} is not for the ${req.user!.role} role` });
};
