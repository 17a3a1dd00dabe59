import { Type } from '@sinclair/typebox';
import type { AccessLog } from '../access/access-log-store.ts';
import { defineRoute, notFound, type RouteDef } from '../api/route.ts';
import type { EvidenceQuery } from './evidence-query.ts';

export interface EvidenceRouteDeps {
  evidence: EvidenceQuery;
  accessLog: AccessLog;
}

/** Evidence manifests and their images: personal data, each view logged. */
export function evidenceRoutes(d: EvidenceRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/evidence/:id',
      access: 'personal.read',
      tag: 'evidence',
      summary: 'An evidence manifest with links to its images (personal data; logged)',
      schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }) },
      subjects: { id: 'evidence' },
      async handler(req, reply) {
        const m = await d.evidence.manifest(req.viewer, req.params.id);
        if (!m) return notFound(reply, `evidence ${req.params.id}`);
        await d.accessLog.record(req.viewer, 'evidence', req.params.id);
        return m;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/images/:sha256',
      access: 'personal.read',
      tag: 'evidence',
      summary: 'One evidence image, JPEG (personal data; logged)',
      schema: { params: Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }) },
      subjects: { sha256: 'image' },
      async handler(req, reply) {
        const jpeg = await d.evidence.image(req.viewer, req.params.sha256);
        if (!jpeg) return notFound(reply, `image ${req.params.sha256} (never received, or past retention)`);
        await d.accessLog.record(req.viewer, 'image', req.params.sha256);
        return reply.type('image/jpeg').header('cache-control', 'private, no-store').send(jpeg);
      },
    }),
  ];
}
