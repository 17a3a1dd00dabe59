import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Permission } from '../access/policy.ts';
import type { Viewer } from '../access/viewer.ts';

/** What a route needs: a permission from the policy, any signed-in account, or nothing. */
export type Access = Permission | 'signed-in' | 'public';

/** What an id in a route's path or query names; the generated scope test fills each with ids in and out of the viewer's scope. */
export type Subject = 'device' | 'case' | 'response' | 'evidence' | 'image' | 'ticket' | 'plate' | 'rollout';

export interface RouteSchemas {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
}

type Of<T> = T extends TSchema ? Static<T> : undefined;

export interface ApiRequest<R extends RouteSchemas, A extends Access> {
  /** Who asks; undefined only on public routes. */
  viewer: A extends 'public' ? Viewer | undefined : Viewer;
  params: Of<R['params']>;
  query: Of<R['querystring']>;
  body: Of<R['body']>;
  raw: FastifyRequest;
}

export interface RouteDef<R extends RouteSchemas = RouteSchemas, A extends Access = Access> {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  access: A;
  tag: string;
  summary: string;
  schema?: R;
  /** Path or query parameters that name an object, by name. */
  subjects?: Record<string, Subject>;
  /** The answer is the same for every viewer (county geography, not records): scope does not narrow it. */
  countyWide?: boolean;
  /** A valid body, for the generated route tests. */
  example?: unknown;
  /** Left out of /openapi.json (pages, not API). */
  hide?: boolean;
  /** Request body content types other than JSON that the route takes (its parser is the server's). */
  consumes?: string[];
  /** Bytes a request body may have, where the server's 1 MiB is too little (a photo). */
  bodyLimit?: number;
  handler(req: ApiRequest<R, A>, reply: FastifyReply): Promise<unknown>;
}

/** One route: schemas for validation, types and OpenAPI in one definition, and the access it needs. */
export function defineRoute<R extends RouteSchemas, A extends Access>(d: RouteDef<R, A>): RouteDef {
  return d as unknown as RouteDef;
}

/** The answers every route gives the same way. */
export const notFound = (reply: FastifyReply, what: string): FastifyReply =>
  reply.code(404).send({ error: 'not_found', message: `no ${what}` });
export const forbidden = (reply: FastifyReply, message: string): FastifyReply =>
  reply.code(403).send({ error: 'forbidden', message });
