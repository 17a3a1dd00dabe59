import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RepeatOffender, WeeklyRow } from '../../protocols/index.ts';
import { GATEWAY_DEFAULTS } from '../config/schema.ts';
import type { Gateway } from '../gateway.ts';
import { scopeClause, scopeParams } from '../registry/scope.ts';
import { maskPlate, seesPersonalData } from './roles.ts';

const cell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV as spreadsheet programs in a county office open it: UTF-8 with a BOM, so Chinese shows right. */
function sendCsv(reply: FastifyReply, name: string, columns: string[], rows: Array<Record<string, unknown>>): FastifyReply {
  const body = `\uFEFF${[columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n')}\r\n`;
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(body);
}

/**
 * Reports: cases per township, village, week and kind; repeat offenders by plate (masked unless
 * a role allowed to see plates asks for them in full, which is logged). Each as JSON or CSV.
 */
export function reportRoutes(app: FastifyInstance, gw: Gateway): void {
  // Weeks start on Monday at the county's midnight, not UTC's.
  const shift = `${(gw.config.reports?.utcOffsetHours ?? GATEWAY_DEFAULTS.reportsUtcOffsetHours) * 60} minutes`;
  const weekly = (weeks: number, scope: Parameters<typeof scopeParams>[0]) =>
    gw.db
      .prepare(
        `SELECT date(c.opened_at, @shift, '-6 days', 'weekday 1') AS week, d.township, d.village, c.kind, count(*) AS cases
         FROM cases c LEFT JOIN devices d ON d.id = c.device_id
         WHERE c.opened_at >= @since AND ${scopeClause('c.device_id', 'c.vehicle_id')}
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      )
      .all({ shift, since: new Date(Date.now() - weeks * 7 * 86_400_000).toISOString(), ...scopeParams(scope) }) as WeeklyRow[];

  const offenders = (days: number, min: number, full: boolean, scope: Parameters<typeof scopeParams>[0]): RepeatOffender[] =>
    (
      gw.db
        .prepare(
          `SELECT coalesce(v.plate, json_extract(e.body, '$.data.plate')) AS plate, v.id AS vehicleId, v.owner_name AS owner, v.village AS ownerVillage,
             count(*) AS cases, max(c.opened_at) AS lastAt, group_concat(DISTINCT coalesce(d.village, d.township, d.id)) AS seenAt
           FROM cases c JOIN events e ON e.id = c.event_id LEFT JOIN vehicles v ON v.id = c.vehicle_id LEFT JOIN devices d ON d.id = c.device_id
           WHERE c.opened_at >= @since AND coalesce(v.plate, json_extract(e.body, '$.data.plate')) IS NOT NULL AND ${scopeClause('c.device_id', 'c.vehicle_id')}
           GROUP BY 1 HAVING count(*) >= @min ORDER BY cases DESC, lastAt DESC LIMIT 200`,
        )
        .all({ since: new Date(Date.now() - days * 86_400_000).toISOString(), min, ...scopeParams(scope) }) as Array<Omit<RepeatOffender, 'masked' | 'seenAt'> & { seenAt: string | null }>
    ).map((r) => ({ ...r, plate: full ? r.plate : maskPlate(r.plate), masked: !full, owner: full ? r.owner : null, seenAt: r.seenAt ? r.seenAt.split(',') : [] }));

  const WeeksQuery = { type: 'object', properties: { weeks: { type: 'integer', minimum: 1, maximum: 104 } } } as const;
  app.get<{ Querystring: { weeks?: number } }>('/api/v1/reports/weekly', { schema: { querystring: WeeksQuery } }, async (req) => weekly(req.query.weeks ?? 12, req.user!.scope));
  app.get<{ Querystring: { weeks?: number } }>('/api/v1/reports/weekly.csv', { schema: { querystring: WeeksQuery } }, async (req, reply) =>
    sendCsv(reply, 'cases-by-week.csv', ['week', 'township', 'village', 'kind', 'cases'], weekly(req.query.weeks ?? 12, req.user!.scope) as unknown as Array<Record<string, unknown>>),
  );

  const OffenderQuery = {
    type: 'object',
    properties: { days: { type: 'integer', minimum: 1, maximum: 3650 }, min: { type: 'integer', minimum: 2, maximum: 1000 }, full: { type: 'boolean' } },
  } as const;
  type OffenderQ = { Querystring: { days?: number; min?: number; full?: boolean } };
  const offendersFor = (q: OffenderQ['Querystring'], user: NonNullable<Parameters<typeof seesPersonalData>[0]>) => {
    const full = q.full === true && seesPersonalData(user);
    if (full) gw.accessLog.record(user, 'repeat_offenders', `days=${q.days ?? 90} min=${q.min ?? 2}`);
    return offenders(q.days ?? 90, q.min ?? 2, full, user.scope);
  };
  app.get<OffenderQ>('/api/v1/reports/repeat-offenders', { schema: { querystring: OffenderQuery } }, async (req) => offendersFor(req.query, req.user!));
  app.get<OffenderQ>('/api/v1/reports/repeat-offenders.csv', { schema: { querystring: OffenderQuery } }, async (req, reply) =>
    sendCsv(reply, 'repeat-offenders.csv', ['plate', 'cases', 'lastAt', 'seenAt', 'owner', 'ownerVillage'], offendersFor(req.query, req.user!) as unknown as Array<Record<string, unknown>>),
  );
}
