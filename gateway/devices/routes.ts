import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { validateRegistration } from '../../protocols/index.ts';
import { defineRoute, notFound, type RouteDef } from '../api/route.ts';
import type { Signer } from '../access/token-store.ts';
import type { CommandSender } from './command-sender.ts';
import { CommissionError, type Commissioning } from './commissioning.ts';
import type { MapArea } from './county-map.ts';
import type { DeviceQuery } from './device-query.ts';
import { donorPage, donorWall } from './donor-wall.ts';
import type { DeviceStore } from './device-store.ts';
import type { Viewer } from '../access/viewer.ts';

const STATUS: Record<CommissionError['code'], number> = {
  exists: 409,
  bad_signature: 403,
  bad_schema: 400,
  out_of_scope: 403,
};

const DeviceId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ReplaceQuery = Type.Object({ replace: Type.Optional(Type.Boolean()) });

export interface DeviceRouteDeps {
  devices: DeviceQuery;
  registry: DeviceStore;
  commissioning: Commissioning;
  /** The box's open fault tickets (the tickets module keeps them). */
  openTickets(viewer: Viewer, deviceId: string): Promise<unknown[]>;
  commands: CommandSender;
  /** SHA-256 of the named API token (offline registrations are signed with it). */
  signer(tokenName: string): Promise<Signer | undefined>;
  map?: MapArea[];
}

function commissionFailed(e: unknown, reply: FastifyReply): FastifyReply {
  if (!(e instanceof CommissionError)) throw e;
  return reply.code(STATUS[e.code]).send({ error: e.code, message: e.message });
}

/** Devices: the registry, registration by `roadwarden commission` (online or from a signed file), self-test reports, the donor wall. */
export function deviceRoutes(d: DeviceRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/devices',
      access: 'fleet.read',
      tag: 'devices',
      summary:
        'All boxes in the viewer’s scope: place, road file, availability, flags, last alarm, battery, open tickets',
      handler: (req) => d.devices.list(req.viewer),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/devices/:id',
      access: 'fleet.read',
      tag: 'devices',
      summary: 'One box, with its last self-tests and open fault tickets',
      schema: { params: DeviceId },
      subjects: { id: 'device' },
      async handler(req, reply) {
        const dev = await d.devices.get(req.viewer, req.params.id);
        if (!dev) return notFound(reply, `device ${req.params.id}`);
        return {
          ...dev,
          selftests: await d.devices.selftests(req.viewer, dev.id, 5),
          openTickets: await d.openTickets(req.viewer, dev.id),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/devices/:id/telemetry',
      access: 'fleet.read',
      tag: 'devices',
      summary:
        'Telemetry over the last ?hours= (default 24): battery, solar, temperature, disk, outbox, at most ~500 points',
      schema: {
        params: DeviceId,
        querystring: Type.Object({ hours: Type.Optional(Type.Number({ minimum: 1, maximum: 24 * 31 })) }),
      },
      subjects: { id: 'device' },
      handler: async (req, reply) =>
        (await d.devices.telemetry(req.viewer, req.params.id, req.query.hours ?? 24)) ??
        notFound(reply, `device ${req.params.id}`),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/devices/:id/selftests',
      access: 'fleet.read',
      tag: 'devices',
      summary: "The box's self-test reports, newest first",
      schema: { params: DeviceId },
      subjects: { id: 'device' },
      handler: async (req, reply) =>
        (await d.devices.selftests(req.viewer, req.params.id, 100)) ?? notFound(reply, `device ${req.params.id}`),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/devices/:id/self-test',
      access: 'devices.command',
      tag: 'devices',
      summary: 'Ask the box to run its self-test now; the report arrives under its self-tests (technician, admin)',
      schema: { params: DeviceId },
      subjects: { id: 'device' },
      async handler(req, reply) {
        if (!(await d.devices.get(req.viewer, req.params.id))) return notFound(reply, `device ${req.params.id}`);
        const commandId = await d.commands.send(req.params.id, 'self_test', {});
        return reply.code(202).send({
          commandId,
          message: 'sent; the report appears under the device’s self-tests when the box has run it',
        });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/map',
      access: 'fleet.read',
      tag: 'devices',
      summary:
        'The county map for the dashboard: township/village outlines (GeoJSON from the config), or 404 when none is configured',
      countyWide: true,
      handler: async (_req, reply) =>
        d.map ??
        reply
          .code(404)
          .send({ error: 'not_found', message: 'no county map is configured (map.geojson in gateway.yaml)' }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/devices',
      access: 'devices.commission',
      tag: 'devices',
      summary:
        'Register a box (roadwarden commission): credential hash, place, hardware, donor; ?replace=true swaps a box (technician, admin; a scoped technician only in their places)',
      schema: { querystring: ReplaceQuery },
      async handler(req, reply) {
        const reg = validateRegistration(req.raw.body);
        if (!reg.ok) return reply.code(400).send({ error: 'bad_schema', message: reg.error.message });
        try {
          return reply
            .code(201)
            .send(await d.commissioning.register(reg.value, req.viewer, req.query.replace === true));
        } catch (e) {
          return commissionFailed(e, reply);
        }
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/devices/registrations',
      access: 'devices.commission',
      tag: 'devices',
      summary: 'Upload a registration file signed offline with a technician token (technician, admin)',
      schema: { querystring: ReplaceQuery },
      async handler(req, reply) {
        try {
          return reply
            .code(201)
            .send(await d.commissioning.upload(req.raw.body, req.viewer, d.signer, req.query.replace === true));
        } catch (e) {
          return commissionFailed(e, reply);
        }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/donors.json',
      access: 'public',
      tag: 'public',
      summary: 'Donor wall: crowd-funded lights, donor (or anonymous), place, date, working (no token)',
      handler: async () => donorWall(await d.registry.list()),
    }),
    defineRoute({
      method: 'GET',
      url: '/donors',
      access: 'public',
      tag: 'public',
      summary: 'Donor wall as a web page (no token)',
      handler: async (_req, reply) =>
        reply.type('text/html; charset=utf-8').send(donorPage(donorWall(await d.registry.list()))),
    }),
  ];
}
