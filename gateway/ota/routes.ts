import { createReadStream, existsSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { defineRoute, notFound, type RouteDef } from '../api/route.ts';
import type { Viewer } from '../access/viewer.ts';
import { bundlePath } from './bundle-publisher.ts';
import type { OtaStore } from './ota-store.ts';
import type { RolloutEngine } from './rollout-engine.ts';
import { controlRollout, ROLLOUT_ACTIONS, RolloutControlError } from './rollout-control.ts';
import { RolloutError } from './rollout-plan.ts';

export interface OtaRouteDeps {
  store: OtaStore;
  engine: RolloutEngine;
  dataDir: string;
  now: () => Date;
  /** the boxes this viewer may update */
  devicesOf: (v: Viewer) => Promise<string[]>;
}

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Box updates: published bundles, rollouts in stages with each box's state, and the downloads boxes fetch. */
export function otaRoutes(d: OtaRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/ota/bundles',
      access: 'devices.update',
      tag: 'ota',
      summary: 'Published bundles (signed agent releases, models, config templates), newest first',
      handler: async () => ({ items: await d.store.bundles() }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/ota/rollouts',
      access: 'devices.update',
      tag: 'ota',
      summary:
        'Roll a published bundle out to boxes (all in scope, or `devices`): the canary share first, the rest once every canary is healthy',
      schema: {
        body: Type.Object(
          {
            bundle: Type.String({ minLength: 1, maxLength: 100, description: 'SHA-256 or name of a published bundle' }),
            devices: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 100_000 })),
            canaryPercent: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
      },
      example: { bundle: 'roadwarden-edge-0.2.1', canaryPercent: 50 },
      async handler(req, reply) {
        const mine = await d.devicesOf(req.viewer);
        const outside = (req.body.devices ?? []).filter((x) => !mine.includes(x));
        if (outside.length)
          return reply
            .code(403)
            .send({ error: 'forbidden', message: `not boxes you may update: ${outside.slice(0, 10).join(', ')}` });
        try {
          const r = await d.engine.create({
            bundle: req.body.bundle,
            devices: req.body.devices ?? mine,
            canaryPercent: req.body.canaryPercent,
            by: req.viewer.name,
          });
          return reply.code(201).send(await d.engine.view(r.id));
        } catch (e) {
          if (e instanceof RolloutError)
            return reply.code(e.code === 'no_bundle' ? 404 : 400).send({ error: e.code, message: e.message });
          throw e;
        }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/ota/rollouts',
      access: 'devices.update',
      tag: 'ota',
      summary: 'Rollouts, newest first',
      handler: async () => ({ items: await d.store.rollouts() }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/ota/rollouts/:id',
      access: 'devices.update',
      tag: 'ota',
      summary: 'One rollout: its stage, counts per state, and every box with its state and reason',
      schema: { params: Id },
      subjects: { id: 'rollout' },
      countyWide: true,
      async handler(req, reply) {
        return (await d.engine.view(req.params.id)) ?? notFound(reply, `rollout ${req.params.id}`);
      },
    }),
    ...ROLLOUT_ACTIONS.map((action) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/ota/rollouts/:id/${action}`,
        access: 'devices.update',
        tag: 'ota',
        summary: {
          pause: 'Pause a rollout: no more boxes get it; boxes that have it go on and report',
          resume: 'Resume a paused rollout where it stopped (a bad canary meanwhile halts it)',
          cancel: 'Cancel a rollout: the boxes still waiting never get it (409 if it has ended)',
        }[action],
        schema: { params: Id },
        subjects: { id: 'rollout' },
        countyWide: true,
        async handler(req, reply) {
          try {
            await controlRollout(d.store, req.params.id, action, { by: req.viewer.name, at: d.now().toISOString() });
            return await d.engine.view(req.params.id);
          } catch (e) {
            if (e instanceof RolloutControlError)
              return reply.code(e.code === 'no_rollout' ? 404 : 409).send({ error: e.code, message: e.message });
            throw e;
          }
        },
      }),
    ),
    defineRoute({
      method: 'GET',
      url: '/ota/bundles/:file',
      // Boxes fetch it with no token: it is signed, and holds code, not records.
      access: 'public',
      tag: 'ota',
      summary: 'A published bundle’s bytes, by SHA-256 (what boxes download; they check the signature)',
      hide: true,
      schema: { params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{64}\\.tar\\.gz$' }) }) },
      async handler(req, reply) {
        const path = bundlePath(d.dataDir, req.params.file.slice(0, 64));
        if (!existsSync(path)) return notFound(reply, 'such bundle');
        return reply
          .type('application/gzip')
          .header('cache-control', 'public, max-age=31536000, immutable')
          .send(createReadStream(path));
      },
    }),
  ];
}
