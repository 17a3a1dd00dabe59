import { eventDataOf, uncertainPositions, type AlarmItem, type EvidenceManifest } from '../../protocols/index.ts';
import { maskPlate, scopeClause, scopeParams, seesPersonalData, type Viewer } from '../access/viewer.ts';
import type { SqlDatabase } from '../store/sql.ts';
import type { Dialect } from '../store/sql-dialect.ts';

export const ALARM_FILTERS = ['open', 'overdue'] as const;
export type AlarmFilter = (typeof ALARM_FILTERS)[number];

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

const sqlFor = (
  d: Dialect,
): string => `SELECT e.id, e.device_id AS "deviceId", e.kind, e.ts, e.evidence_id AS "evidenceId", ${d.jsonText('e.body', 'data')} AS data,
    c.id AS "caseId", c.closed_at AS "closedAt", d.township, d.village, d.crossing, d.road,
    (SELECT ${d.objectAgg('r.kind', 'r.state')} FROM responses r WHERE r.case_id = c.id) AS responses,
    (SELECT ev.body FROM evidence ev WHERE ev.id = e.evidence_id) AS evidence
  FROM events e
  LEFT JOIN cases c ON c.event_id = e.id
  LEFT JOIN devices d ON d.id = e.device_id
  WHERE e.severity = 'alarm' AND (CAST(@id AS TEXT) IS NULL OR e.id = @id) AND (CAST(@before AS TEXT) IS NULL OR e.id < @before) AND ${scopeClause(d, 'e.device_id', 'c.vehicle_id')}
    AND (CAST(@filter AS TEXT) IS NULL OR (c.id IS NOT NULL AND c.closed_at IS NULL AND (@filter = 'open' OR EXISTS (
      SELECT 1 FROM responses ro WHERE ro.case_id = c.id AND (ro.state = 'escalated' OR (ro.state = 'sent' AND ro.ack_deadline < @now))))))
  ORDER BY e.id DESC LIMIT @limit`;

/**
 * Alarms as the list shows them, newest first, paged by id (ULIDs sort by time): place, plate,
 * vehicle and riders, the three responses, the evidence photo with its boxes. Plates are masked and
 * photos left out for viewers who may not see personal data.
 */
export class AlarmQuery {
  private readonly select: string;

  constructor(private readonly sql: SqlDatabase) {
    this.select = sqlFor(sql.dialect);
  }

  /** `filter`: open — a case not closed; overdue — one with a response past its deadline or escalated. */
  async list(v: Viewer, o: { limit: number; before?: string; filter?: AlarmFilter; now?: Date }): Promise<AlarmItem[]> {
    const rows = await this.sql.all<AlarmRow>(this.select, {
      id: null,
      before: o.before ?? null,
      filter: o.filter ?? null,
      now: (o.now ?? new Date()).toISOString(),
      limit: o.limit,
      ...scopeParams(v),
    });
    return rows.map((r) => toItem(r, seesPersonalData(v)));
  }

  /** One alarm (for the case page), or undefined out of scope. */
  async item(v: Viewer, eventId: string): Promise<AlarmItem | undefined> {
    const r = await this.sql.get<AlarmRow>(this.select, {
      id: eventId,
      before: null,
      filter: null,
      now: null,
      limit: 1,
      ...scopeParams(v),
    });
    return r && toItem(r, seesPersonalData(v));
  }
}

function toItem(r: AlarmRow, personal: boolean): AlarmItem {
  const data = eventDataOf(r.data ? JSON.parse(r.data) : undefined);
  const plate = data.plate ?? null;
  const m = personal && r.evidence ? (JSON.parse(r.evidence) as EvidenceManifest) : undefined;
  const frame = m?.images.find((i) => i.role === 'frame');
  return {
    id: r.id,
    deviceId: r.deviceId,
    kind: r.kind,
    ts: r.ts,
    place: { township: r.township, village: r.village, crossing: r.crossing, road: r.road },
    plate: plate
      ? {
          text: personal ? plate : maskPlate(plate),
          masked: !personal,
          score: data.plateScore ?? null,
          colour: data.plateColour ?? null,
          confidence: data.plateConfidence ?? null,
          uncertain: uncertainPositions(data),
        }
      : null,
    vehicle: data.vehicle ?? null,
    riders: data.riders ?? null,
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
            boxes: m.recognitions.map((x) => ({
              what: x.what,
              label: x.what === 'plate' ? (x.value ?? x.label) : x.label,
              box: x.box,
            })),
            // Manifests stored before models were recorded have none.
            models: (m.models ?? []).map((x) => x.name),
          }
        : null,
  };
}
