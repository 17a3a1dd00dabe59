import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateUpdateKeys,
  signManifest,
  createIdGenerator,
  encodeMessage,
  manifestHash,
  sha256Hex,
  topics,
  type EvidenceManifest,
  type TelemetryMessage,
} from '../../protocols/index.ts';
import { until } from '../../sim/testing/until.ts';
import { can, mayActOn, type Role } from '../access/policy.ts';
import { isScoped, SYSTEM, type Scope } from '../access/viewer.ts';
import { Gateway } from '../main.ts';
import type { RouteDef, Subject } from './route.ts';

/**
 * Generated from the route table: every route × every role (county-wide and scoped) × an object
 * in the viewer's scope, one outside it, and one that does not exist. The expected answer comes
 * from the policy alone: 403 without the permission, 404 outside the scope or for nothing, and
 * neither for what the viewer may reach; list answers never name anything outside the scope.
 */
const newId = createIdGenerator();
const IN = { box: 'box-in', township: '梁水镇', village: '李庄', plate: '鲁PAA111' };
const OUT = { box: 'box-out', township: '斗虎屯镇', village: '王屯', plate: '鲁PBB222' };

const VIEWERS: Array<{ name: string; role: Role; scope?: Scope }> = [
  { name: 'v-admin', role: 'admin' },
  { name: 'v-gateway', role: 'gateway' },
  { name: 'v-police-county', role: 'police' },
  { name: 'v-police', role: 'police', scope: { townships: [IN.township] } },
  { name: 'v-village', role: 'village', scope: { villages: [IN.village] } },
  { name: 'v-tech-county', role: 'technician' },
  { name: 'v-tech', role: 'technician', scope: { villages: [IN.village] } },
];

type Variant = 'in' | 'out' | 'missing';

describe('every route × every role × in scope / out of scope / missing (generated from the route table)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-routes-'));
  let gw: Gateway;
  let base: string;
  const tokens = new Map<string, string>();
  const ids: Record<Subject, Record<Variant, string>> = {} as never;

  const feed = (topic: string, payload: Buffer) => gw.services.intake.intake.onMessage(topic, payload);

  async function alarmWithEvidence(place: typeof IN): Promise<{ eventId: string; evidenceId: string; sha: string }> {
    const jpeg = await sharp({
      create: { width: 32, height: 24, channels: 3, background: place === IN ? '#c00' : '#00c' },
    })
      .jpeg()
      .toBuffer();
    const sha = sha256Hex(jpeg);
    const eventId = newId();
    const evidenceId = newId();
    const ts = new Date().toISOString();
    await feed(topics.image(place.box, sha), jpeg);
    const m = {
      v: 1 as const,
      id: newId(),
      deviceId: place.box,
      ts,
      evidenceId,
      eventId,
      capturedAt: ts,
      images: [
        { role: 'frame' as const, sha256: sha, bytes: jpeg.length, mime: 'image/jpeg' as const, width: 32, height: 24 },
      ],
      recognitions: [
        {
          what: 'plate' as const,
          label: 'plate',
          score: 0.97,
          box: [1, 1, 10, 5] as [number, number, number, number],
          value: place.plate,
        },
      ],
      models: [],
      hash: '',
    };
    const manifest: EvidenceManifest = { ...m, hash: manifestHash(m) };
    await feed(topics.evidence(place.box, evidenceId), encodeMessage('evidence', manifest));
    const ev = {
      v: 1 as const,
      id: eventId,
      deviceId: place.box,
      ts,
      kind: 'tricycle_passengers' as const,
      severity: 'alarm' as const,
      source: 'vision' as const,
      evidenceId,
      data: { vehicle: 'tricycle', riders: 3, plate: place.plate },
    };
    await feed(topics.event(place.box, 'tricycle_passengers'), encodeMessage('event', ev));
    return { eventId, evidenceId, sha };
  }

  async function lampFault(box: string): Promise<void> {
    const m: TelemetryMessage = {
      v: 1,
      id: newId(),
      deviceId: box,
      ts: new Date().toISOString(),
      seq: 1,
      uptimeS: 10,
      drivers: {
        light: { state: 'degraded', error: { code: 'lamp_open_circuit', message: 'lamp open circuit on channel 1' } },
      },
      lights: [{ channel: 1, mode: 'off', lamp: 'open_circuit' }],
      flags: ['lamp_fault'],
    };
    await feed(topics.telemetry(box), encodeMessage('telemetry', m));
  }

  beforeAll(async () => {
    gw = new Gateway({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      config: {
        map: { geojson: fileURLToPath(new URL('../../examples/county-map.geojson', import.meta.url)) },
        responses: {
          channels: { bus: { type: 'mqtt' } },
          plans: [
            {
              kinds: ['tricycle_passengers'],
              onsite: { light: { mode: 'flash', durationS: 5 } },
              village: { channel: 'bus', ackDeadlineS: 3600 },
              police: { channel: 'bus', ackDeadlineS: 600 },
            },
          ],
        },
      },
    });
    await gw.start();
    base = `http://127.0.0.1:${gw.httpPort}`;
    for (const p of [IN, OUT])
      await gw.services.devices.registry.upsert({ id: p.box, township: p.township, village: p.village });
    await gw.services.archive.archive.importCsv(
      `plate,class,owner_name,village,township\n${IN.plate},tricycle,张三,${IN.village},${IN.township}\n${OUT.plate},tricycle,李四,${OUT.village},${OUT.township}\n`,
      true,
    );
    const a = await alarmWithEvidence(IN);
    const b = await alarmWithEvidence(OUT);
    await lampFault(IN.box);
    await lampFault(OUT.box);
    // Tickets open on the bus after the telemetry is stored.
    await until(
      async () => (await gw.services.tickets.tickets.list(SYSTEM, { open: true })).length === 2,
      5000,
      'both tickets opened',
    );
    await until(
      async () => (await gw.services.responses.cases.list(SYSTEM, { limit: 10 })).length === 2,
      5000,
      'both cases opened',
    );
    const caseOf = async (eventId: string) =>
      (await gw.services.responses.cases.list(SYSTEM, { limit: 10 })).find((c) => c.eventId === eventId)!.id;
    const villageResponse = async (caseId: string) =>
      (await gw.services.responses.cases.responses(caseId)).find((r) => r.kind === 'village')!.id;
    const ticketOf = async (box: string) => (await gw.services.tickets.tickets.list(SYSTEM, { deviceId: box }))[0].id;
    // A published bundle (the name the POST example rolls out) and a rollout of it: county-wide, admins only.
    const { privateKeyPem } = generateUpdateKeys();
    const manifest = {
      kind: 'agent' as const,
      name: 'roadwarden-edge-0.2.1',
      version: '0.2.1',
      sha256: 'a'.repeat(64),
      size: 1,
    };
    await gw.services.ota.store.publish({
      ...manifest,
      signed: signManifest(manifest, privateKeyPem),
      publishedAt: new Date().toISOString(),
      publishedBy: 'fixture',
    });
    const rollout = await gw.services.ota.engine.create({
      bundle: manifest.name,
      devices: [IN.box, OUT.box],
      by: 'fixture',
    });
    const [ca, cb] = [await caseOf(a.eventId), await caseOf(b.eventId)];
    Object.assign(ids, {
      device: { in: IN.box, out: OUT.box, missing: 'box-nowhere' },
      case: { in: ca, out: cb, missing: newId() },
      response: { in: await villageResponse(ca), out: await villageResponse(cb), missing: newId() },
      evidence: { in: a.evidenceId, out: b.evidenceId, missing: newId() },
      image: { in: a.sha, out: b.sha, missing: '0'.repeat(64) },
      ticket: { in: await ticketOf(IN.box), out: await ticketOf(OUT.box), missing: newId() },
      plate: { in: IN.plate, out: OUT.plate, missing: '鲁PZZ999' },
      rollout: { in: rollout.id, out: rollout.id, missing: newId() },
    });
    for (const v of VIEWERS) tokens.set(v.name, await gw.services.access.tokens.issue(v.name, v.role, v.scope));
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The URL for a route with its subjects filled in, and any other required query parameter. */
  function urlFor(r: RouteDef, variant: Variant): string {
    const subjects = r.subjects ?? {};
    let path = r.url.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(ids[subjects[name]][variant]));
    const q = new URLSearchParams();
    const props =
      (r.schema?.querystring as { properties?: Record<string, unknown>; required?: string[] } | undefined) ?? {};
    for (const name of props.required ?? []) q.set(name, subjects[name] ? ids[subjects[name]][variant] : '鲁P');
    if (q.size) path += `?${q}`;
    return path;
  }

  async function call(r: RouteDef, path: string, token?: string): Promise<{ status: number; text: string }> {
    const ctl = new AbortController();
    const body = r.method === 'POST' ? JSON.stringify(r.example ?? {}) : undefined;
    const res = await fetch(`${base}${path}`, {
      method: r.method,
      signal: ctl.signal,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body,
    });
    // The live stream never ends: its status and headers are the answer.
    if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      ctl.abort();
      return { status: res.status, text: '' };
    }
    return { status: res.status, text: await res.text() };
  }

  /** The archive is limited by villages only (police see the county's vehicles); everything else by any scope. */
  const limitedBy = (r: RouteDef, v: (typeof VIEWERS)[number]) =>
    r.tag === 'archive' ? !!v.scope?.villages?.length : isScoped(v.scope);

  /** What the policy says this viewer gets. */
  function expected(r: RouteDef, v: (typeof VIEWERS)[number], variant: Variant): 'denied' | 'hidden' | 'allowed' {
    if (r.access !== 'public' && r.access !== 'signed-in' && !can(v.role, r.access)) return 'denied';
    const subject = Object.values(r.subjects ?? {})[0];
    if (!subject) return 'allowed';
    if (variant === 'missing') return 'hidden';
    if (variant === 'out' && limitedBy(r, v)) return 'hidden';
    // The fixture's responses are village responses.
    if (subject === 'response' && !mayActOn(v.role, 'village')) return 'denied';
    return 'allowed';
  }

  it('has routes with subjects of every kind to walk', () => {
    const kinds = new Set(gw.services.api.table.flatMap((r) => Object.values(r.subjects ?? {})));
    expect([...kinds].sort()).toEqual([
      'case',
      'device',
      'evidence',
      'image',
      'plate',
      'response',
      'rollout',
      'ticket',
    ]);
  });

  it('answers each role as the policy says, on every API route', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const r of gw.services.api.table.filter((x) => x.url.startsWith('/api/') && x.access !== 'public')) {
      const variants: Variant[] = r.subjects ? ['in', 'out', 'missing'] : ['in'];
      for (const v of VIEWERS) {
        for (const variant of variants) {
          const path = urlFor(r, variant);
          const got = await call(r, path, tokens.get(v.name));
          const want = expected(r, v, variant);
          checked++;
          const ok =
            want === 'denied'
              ? got.status === 403
              : want === 'hidden'
                ? got.status === 404
                : got.status < 500 && ![401, 403, 404].includes(got.status);
          if (!ok)
            problems.push(
              `${r.method} ${path} as ${v.name}: ${got.status}, expected ${want} — ${got.text.slice(0, 120)}`,
            );
          // Nothing of the other township leaks into what a scoped viewer may read.
          if (ok && want === 'allowed' && limitedBy(r, v) && variant === 'in' && !r.countyWide) {
            for (const marker of [
              OUT.box,
              OUT.village,
              OUT.township,
              OUT.plate,
              ids.case.out,
              ids.evidence.out,
              ids.image.out,
            ]) {
              if (got.text.includes(marker))
                problems.push(`${r.method} ${path} as ${v.name} shows ${marker} (out of scope)`);
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });

  it('refuses every API route without a token, however the path is spelled', async () => {
    const problems: string[] = [];
    for (const r of gw.services.api.table.filter((x) => x.url.startsWith('/api/') && x.access !== 'public')) {
      const path = urlFor(r, 'in');
      for (const spelled of [path, path.replace('/api/', '/%61pi/'), path.replace('/v1/', '/%76%31/')]) {
        const got = await call(r, spelled);
        if (got.status !== 401) problems.push(`${r.method} ${spelled}: ${got.status}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
