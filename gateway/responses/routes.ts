import { Type } from '@sinclair/typebox';
import { MAX_IMAGE_BYTES, type ResponsePlansSummary } from '../../protocols/index.ts';
import type { AccessLog } from '../access/access-log-store.ts';
import { mayActOn } from '../access/policy.ts';
import { seesPersonalData } from '../access/viewer.ts';
import type { AlarmQuery } from '../alarms/alarm-query.ts';
import { defineRoute, forbidden, notFound, type RouteDef } from '../api/route.ts';
import type { Archive } from '../archive/archive-store.ts';
import type { FaceIndex } from '../archive/face-store.ts';
import type { EvidenceQuery } from '../evidence/evidence-query.ts';
import type { CaseStore } from './case-store.ts';
import { type ResponsesInForce, uncoveredKinds } from './default-plan.ts';
import type { Deliveries } from './delivery-store.ts';
import type { ResponseEngine } from './response-engine.ts';

export interface CaseRouteDeps {
  cases: CaseStore;
  alarms: AlarmQuery;
  archive: Archive;
  faces: FaceIndex;
  evidence: EvidenceQuery;
  accessLog: AccessLog;
  /** The plans in force, and whether they are the default (no `responses:` in the config). */
  plans(): ResponsesInForce;
  /** Undefined until the module started. */
  engine(): { engine: ResponseEngine; deliveries: Deliveries } | undefined;
  /** Keeps an outcome photo as evidence of the case's box (checked: a whole JPEG within the limit); its SHA-256. */
  keepPhoto(jpeg: Buffer, deviceId: string): Promise<string>;
}

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ActionBody = Type.Object(
  {
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    outcome: Type.Optional(Type.String({ maxLength: 2000 })),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    /** with complete: a photo of what was done, JPEG in base64 (at most 4 MB decoded) */
    photo: Type.Optional(Type.String({ maxLength: Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 4 })),
  },
  { additionalProperties: false },
);

const ACTIONS = {
  acknowledge: 'Acknowledge a response (role must match the response)',
  complete: 'Mark a response done, with the outcome (溯源劝诫 for village)',
  waive: 'Waive a response, with a reason',
  reopen: 'Reopen a finished response (wrong outcome, waiver withdrawn), with a reason; its case opens again',
} as const;

/** Cases with their three responses, face-match leads, and the actions people take on responses. */
export function caseRoutes(d: CaseRouteDeps): RouteDef[] {
  const actions = (Object.keys(ACTIONS) as Array<keyof typeof ACTIONS>).map((verb) =>
    defineRoute({
      method: 'POST',
      url: `/api/v1/responses/:id/${verb}`,
      access: 'signed-in',
      tag: 'cases',
      summary: ACTIONS[verb],
      schema: { params: Id, body: ActionBody },
      subjects: { id: 'response' },
      example: { note: 'checked', outcome: 'visited the owner', reason: 'duplicate' },
      bodyLimit: 6 * 1024 * 1024,
      async handler(req, reply) {
        const r = await d.cases.responseFor(req.viewer, req.params.id);
        if (!r) return notFound(reply, `response ${req.params.id}`);
        if (!mayActOn(req.viewer.role, r.kind))
          return forbidden(reply, `the ${req.viewer.role} role may not act on ${r.kind} responses`);
        const e = d.engine()?.engine;
        if (!e) return reply.code(503).send({ error: 'starting', message: 'the gateway is still starting' });
        const body = req.body ?? {};
        const who = req.viewer.name;
        try {
          if (body.photo !== undefined && verb !== 'complete')
            return reply.code(400).send({ error: 'bad_request', message: 'a photo goes with an outcome (complete)' });
          if (verb === 'acknowledge') return await e.acknowledge(r.id, who, body.note);
          if (verb === 'complete') {
            const outcome = body.outcome ?? body.note ?? '';
            const c = body.photo && outcome.trim() ? await d.cases.getCase(r.caseId) : undefined;
            const photo = c ? await d.keepPhoto(Buffer.from(body.photo!, 'base64'), c.deviceId) : undefined;
            return await e.complete(r.id, who, outcome, photo);
          }
          if (verb === 'reopen') return await e.reopen(r.id, who, body.reason ?? '');
          return await e.waive(r.id, who, body.reason ?? '');
        } catch (err) {
          const x = err as Error & { code?: string };
          return reply
            .code(x.code === 'bad_transition' ? 409 : 400)
            .send({ error: x.code ?? 'bad_request', message: x.message });
        }
      },
    }),
  );
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/response-plans',
      access: 'cases.read',
      tag: 'cases',
      summary: 'The response plans in force: kinds, channels (names and types only), kinds that open no case',
      async handler(): Promise<ResponsePlansSummary> {
        const { plans, isDefault } = d.plans();
        return {
          default: isDefault,
          channels: Object.entries(plans.channels).map(([name, c]) => ({ name, type: c.type })),
          plans: plans.plans.map((p) => ({
            kinds: p.kinds,
            onsite: p.onsite,
            village: p.village,
            police: p.police,
          })),
          uncovered: uncoveredKinds(plans),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases',
      access: 'cases.read',
      tag: 'cases',
      summary: 'Cases, newest first; ?open=true for those not closed',
      schema: {
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          before: Type.Optional(Type.String({ maxLength: 64 })),
          open: Type.Optional(Type.Boolean()),
        }),
      },
      async handler(req) {
        const limit = req.query.limit ?? 50;
        const items = await d.cases.list(req.viewer, { limit, before: req.query.before, open: req.query.open });
        return { items, next: items.length === limit ? items.at(-1)!.id : null };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id',
      access: 'cases.read',
      tag: 'cases',
      summary: 'One case with its three responses, their history and deliveries',
      schema: { params: Id },
      subjects: { id: 'case' },
      async handler(req, reply) {
        const v = req.viewer;
        const c = await d.cases.caseFor(v, req.params.id);
        if (!c) return notFound(reply, `case ${req.params.id}`);
        const deliveries = d.engine()?.deliveries;
        const responses = await Promise.all(
          (await d.cases.responses(c.id)).map(async (r) => ({
            ...r,
            history: await d.cases.history(r.id),
            deliveries: (await deliveries?.forResponse(r.id)) ?? [],
          })),
        );
        const alarm = (await d.alarms.item(v, c.eventId)) ?? null;
        const vehicle = seesPersonalData(v) && c.vehicleId ? ((await d.archive.get(v, c.vehicleId)) ?? null) : null;
        // Not the vehicle (an uncertain read, or an archive plate one confusion away): who it may be.
        const lead =
          !vehicle && seesPersonalData(v) && alarm?.plate && !alarm.plate.masked
            ? ((await d.archive.lookup(v, alarm.plate.text)) ?? null)
            : null;
        if (vehicle || lead || (alarm && (alarm.photo || (alarm.plate && !alarm.plate.masked))))
          await d.accessLog.record(v, 'case', c.id);
        return { ...c, responses, alarm, vehicle, lead };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id/face-matches',
      access: 'personal.read',
      tag: 'cases',
      summary:
        "Vehicles whose driver's face matches this case's driver (for a plate not read): earlier sightings with a read plate, and the archive's record (personal data; logged)",
      schema: { params: Id },
      subjects: { id: 'case' },
      async handler(req, reply) {
        const v = req.viewer;
        const c = await d.cases.caseFor(v, req.params.id);
        if (!c) return notFound(reply, `case ${req.params.id}`);
        const evidenceId = (await d.evidence.ofEvent(c.eventId)) ?? null;
        await d.accessLog.record(v, 'face_match', c.id);
        const matches = evidenceId ? await d.faces.matches(evidenceId) : [];
        // A lead names a plate; the owner's record only when the viewer may see that villager.
        return {
          caseId: c.id,
          evidenceId,
          matches: await Promise.all(
            matches.map(async (m) => ({ ...m, vehicle: (await d.archive.lookup(v, m.plate)) ?? null })),
          ),
        };
      },
    }),
    ...actions,
  ];
}
