import type { FastifyInstance } from 'fastify';
import type { AlarmItem, EvidenceManifest } from '../../protocols/index.ts';
import type { Gateway } from '../gateway.ts';
import type { ApiUser } from './api-tokens.ts';
import { scopeClause, scopeParams } from '../registry/scope.ts';
import { maskPlate, seesPersonalData } from './roles.ts';

interface AlarmRow {
  id: string;
  deviceId: string;
  kind: string;
  ts: string;
  evidenceId: string | null;
  data: string | null;
  caseId: string | null;
  closedAt: string | null;
  township: string | null;
  village: string | null;
  crossing: string | null;
  road: string | null;
  responses: string | null;
  evidence: string | null;
}

const SQL = `SELECT e.id, e.device_id AS deviceId, e.kind, e.ts, e.evidence_id AS evidenceId, json_extract(e.body, '$.data') AS data,
    c.id AS caseId, c.closed_at AS closedAt, d.township, d.village, d.crossing, d.road,
    (SELECT json_group_object(r.kind, r.state) FROM responses r WHERE r.case_id = c.id) AS responses,
    (SELECT ev.body FROM evidence ev WHERE ev.id = e.evidence_id) AS evidence
  FROM events e
  LEFT JOIN cases c ON c.event_id = e.id
  LEFT JOIN devices d ON d.id = e.device_id
  WHERE e.severity = 'alarm' AND (@id IS NULL OR e.id = @id) AND (@before IS NULL OR e.id < @before) AND ${scopeClause('e.device_id', 'c.vehicle_id')}
  ORDER BY e.id DESC LIMIT @limit`;

/** One alarm as the list shows it (for the case page), or undefined out of scope. */
export function alarmItem(gw: Gateway, eventId: string, user: ApiUser): AlarmItem | undefined {
  const r = gw.db.prepare(SQL).get({ id: eventId, before: null, limit: 1, ...scopeParams(user.scope) }) as AlarmRow | undefined;
  return r && toItem(r, seesPersonalData(user));
}

function toItem(r: AlarmRow, personal: boolean): AlarmItem {
  const data = (r.data ? JSON.parse(r.data) : {}) as Record<string, unknown>;
  const plate = typeof data.plate === 'string' ? data.plate : null;
  const m = personal && r.evidence ? (JSON.parse(r.evidence) as EvidenceManifest) : undefined;
  const frame = m?.images.find((i) => i.role === 'frame');
  return {
    id: r.id,
    deviceId: r.deviceId,
    kind: r.kind,
    ts: r.ts,
    place: { township: r.township, village: r.village, crossing: r.crossing, road: r.road },
    plate: plate
      ? { text: personal ? plate : maskPlate(plate), masked: !personal, score: typeof data.plateScore === 'number' ? data.plateScore : null, colour: typeof data.plateColour === 'string' ? data.plateColour : null }
      : null,
    vehicle: typeof data.vehicle === 'string' ? data.vehicle : null,
    riders: typeof data.riders === 'number' ? data.riders : null,
    caseId: r.caseId,
    closedAt: r.closedAt,
    responses: r.responses ? (JSON.parse(r.responses) as AlarmItem['responses']) : {},
    photo:
      m && frame
        ? {
            sha256: frame.sha256,
            url: `/api/v1/images/${frame.sha256}`,
            width: frame.width,
            height: frame.height,
            boxes: m.recognitions.map((x) => ({ what: x.what, label: x.what === 'plate' ? (x.value ?? x.label) : x.label, box: x.box })),
          }
        : null,
  };
}

/**
 * The alarm list, newest first, paged by id (ULIDs sort by time): place, plate, vehicle and
 * riders, the state of the three responses, and the evidence photo with its boxes. Plates are
 * masked and photos left out for roles that may not see personal data; a page that shows them is
 * recorded in the access log.
 */
export function alarmRoutes(app: FastifyInstance, gw: Gateway): void {
  app.get<{ Querystring: { limit?: number; before?: string } }>(
    '/api/v1/alarms',
    { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500 }, before: { type: 'string' } } } } },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const user = req.user!;
      const personal = seesPersonalData(user);
      const rows = gw.db.prepare(SQL).all({ id: null, before: req.query.before ?? null, limit, ...scopeParams(user.scope) }) as AlarmRow[];
      const items = rows.map((r) => toItem(r, personal));
      if (personal && items.some((i) => i.plate || i.photo)) gw.accessLog.record(user, 'alarm_list', `${items[0].id}…${items.at(-1)!.id} (${items.length})`);
      return { items, next: rows.length === limit ? rows.at(-1)!.id : null };
    },
  );
}
