import { Type } from '@sinclair/typebox';
import type { AccessLog } from '../access/access-log-store.ts';
import { seesPersonalData, type Viewer } from '../access/viewer.ts';
import { defineRoute, type RouteDef } from '../api/route.ts';
import { sendCsv } from './csv.ts';
import type { ReportQuery } from './report-query.ts';

export interface ReportRouteDeps {
  reports: ReportQuery;
  accessLog: AccessLog;
}

const WeeksQuery = Type.Object({ weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 104 })) });
const OffenderQuery = Type.Object({
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  min: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
  full: Type.Optional(Type.Boolean()),
});

/** Reports: cases per township, village, week and kind; repeat offenders by plate. Each as JSON or CSV. */
export function reportRoutes(d: ReportRouteDeps): RouteDef[] {
  const offenders = async (v: Viewer, q: { days?: number; min?: number; full?: boolean }) => {
    const full = q.full === true && seesPersonalData(v);
    if (full) await d.accessLog.record(v, 'repeat_offenders', `days=${q.days ?? 90} min=${q.min ?? 2}`);
    return await d.reports.offenders(v, { days: q.days ?? 90, min: q.min ?? 2, full });
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/reports/weekly',
      access: 'reports.read',
      tag: 'reports',
      summary:
        'Cases per week (Monday), township, village and kind over the last ?weeks= (default 12), in the caller’s scope',
      schema: { querystring: WeeksQuery },
      handler: (req) => d.reports.weekly(req.viewer, req.query.weeks ?? 12),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/reports/weekly.csv',
      access: 'reports.read',
      tag: 'reports',
      summary: 'The same as CSV (UTF-8 with BOM, for spreadsheets)',
      schema: { querystring: WeeksQuery },
      handler: async (req, reply) =>
        sendCsv(
          reply,
          'cases-by-week.csv',
          ['week', 'township', 'village', 'kind', 'cases'],
          await d.reports.weekly(req.viewer, req.query.weeks ?? 12),
        ),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/reports/repeat-offenders',
      access: 'reports.read',
      tag: 'reports',
      summary:
        'Plates with at least ?min= (2) cases in ?days= (90); masked unless ?full=true by a role that may see plates (logged)',
      schema: { querystring: OffenderQuery },
      handler: (req) => offenders(req.viewer, req.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/reports/repeat-offenders.csv',
      access: 'reports.read',
      tag: 'reports',
      summary: 'The same as CSV',
      schema: { querystring: OffenderQuery },
      handler: async (req, reply) =>
        sendCsv(
          reply,
          'repeat-offenders.csv',
          ['plate', 'cases', 'lastAt', 'seenAt', 'owner', 'ownerVillage'],
          await offenders(req.viewer, req.query),
        ),
    }),
  ];
}
