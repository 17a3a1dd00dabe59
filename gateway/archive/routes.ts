import { Type } from '@sinclair/typebox';
import type { AccessLog } from '../access/access-log-store.ts';
import { defineRoute, type RouteDef } from '../api/route.ts';
import type { Archive } from './archive-store.ts';

export interface ArchiveRouteDeps {
  archive: Archive;
  accessLog: AccessLog;
}

/** 三见面一建档: search and look up vehicles on file (a cadre among their villagers), import the CSV. */
export function archiveRoutes(d: ArchiveRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/archive/vehicles',
      access: 'personal.read',
      tag: 'archive',
      summary:
        'Search the archive by plate, owner, driver or village (?q=); a village cadre sees their villages (personal data; logged)',
      schema: { querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 32 }) }) },
      async handler(req) {
        await d.accessLog.record(req.viewer, 'archive_search', req.query.q);
        return await d.archive.search(req.viewer, req.query.q);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/archive/lookup',
      access: 'personal.read',
      tag: 'archive',
      summary:
        'Find a vehicle by plate, tolerant to one OCR confusion; a village cadre finds their villagers (personal data; logged)',
      schema: { querystring: Type.Object({ plate: Type.String({ minLength: 2, maxLength: 16 }) }) },
      subjects: { plate: 'plate' },
      async handler(req, reply) {
        await d.accessLog.record(req.viewer, 'archive_lookup', req.query.plate);
        return (
          (await d.archive.lookup(req.viewer, req.query.plate)) ??
          reply.code(404).send({ error: 'not_found', message: `no vehicle on file near ${req.query.plate}` })
        );
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/archive/import',
      access: 'archive.import',
      tag: 'archive',
      summary: 'Import vehicles from CSV (text/csv); ?commit=true writes, otherwise only validates (admin)',
      schema: { querystring: Type.Object({ commit: Type.Optional(Type.Boolean()) }) },
      consumes: ['text/csv'],
      async handler(req, reply) {
        const body = req.raw.body;
        if (typeof body !== 'string')
          return reply.code(415).send({ error: 'unsupported_media_type', message: 'send the CSV as text/csv' });
        const report = await d.archive.importCsv(body, req.query.commit === true);
        return reply.code(report.problems.length ? 422 : 200).send(report);
      },
    }),
  ];
}
