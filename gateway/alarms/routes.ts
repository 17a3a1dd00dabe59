import { Type } from '@sinclair/typebox';
import type { AccessLog } from '../access/access-log-store.ts';
import { seesPersonalData } from '../access/viewer.ts';
import { defineRoute, type RouteDef } from '../api/route.ts';
import { ALARM_FILTERS, type AlarmQuery } from './alarm-query.ts';

export interface AlarmRouteDeps {
  alarms: AlarmQuery;
  accessLog: AccessLog;
}

/** The alarm list; a page that shows plates or photos is recorded in the access log. */
export function alarmRoutes(d: AlarmRouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/alarms',
      access: 'cases.read',
      tag: 'alarms',
      summary: 'Alarms, newest first, with their case (paginated by id: ?before=; ?filter=open or overdue)',
      schema: {
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          before: Type.Optional(Type.String({ maxLength: 64 })),
          filter: Type.Optional(Type.Union(ALARM_FILTERS.map((f) => Type.Literal(f)))),
        }),
      },
      async handler(req) {
        const limit = req.query.limit ?? 50;
        const items = await d.alarms.list(req.viewer, { limit, before: req.query.before, filter: req.query.filter });
        if (seesPersonalData(req.viewer) && items.some((i) => i.plate || i.photo))
          await d.accessLog.record(req.viewer, 'alarm_list', `${items[0].id}…${items.at(-1)!.id} (${items.length})`);
        return { items, next: items.length === limit ? items.at(-1)!.id : null };
      },
    }),
  ];
}
