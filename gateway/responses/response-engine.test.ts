import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdGenerator, decodeMessage, type CommandMessage, type EventMessage } from '../../protocols/index.ts';
import { until } from '../../sim/testing/until.ts';
import { openDatabase } from '../store/database.ts';
import { CaseStore } from './case-store.ts';
import { WebhookChannel } from './channels/webhook-channel.ts';
import { ResponseEngine } from './response-engine.ts';
import type { ResponsesConfig } from './response-plan.ts';

const SECRET = 'a-test-secret-of-16+';
const newId = createIdGenerator();

/** Local HTTP receivers standing in for the village app and the police dispatch. */
async function receiver(status = 200) {
  const got: Array<Record<string, unknown>> = [];
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    got.push(JSON.parse(raw));
    res.writeHead(status).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { got, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('ResponseEngine: one alarm, three responses', () => {
  let dir: string;
  let db: ReturnType<typeof openDatabase>;
  let cases: CaseStore;
  let clock: number;
  const servers: Server[] = [];
  let published: CommandMessage[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rw-engine-'));
    db = openDatabase(dir);
    clock = Date.parse('2026-11-29T00:00:00Z');
    cases = new CaseStore(db, newId, () => new Date(clock));
    published = [];
  });
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function engine(villageStatus = 200, extra: Partial<ResponsesConfig['plans'][number]> = {}, lookupPlate?: (p: string) => { id: string } | undefined) {
    const village = await receiver(villageStatus);
    const police = await receiver();
    const chief = await receiver();
    servers.push(village.server, police.server, chief.server);
    const ch = (name: string, url: string) => new WebhookChannel({ name, url, secret: SECRET, attempts: 2, backoffMs: 5 });
    const config: ResponsesConfig = {
      channels: {},
      plans: [
        {
          kinds: ['tricycle_passengers'],
          onsite: { light: { mode: 'flash', periodMs: 300, durationS: 60 }, voice: { clip: 2, times: 2 }, confirmS: 30 },
          village: { channel: 'village', ackDeadlineS: 3600 },
          police: { channel: 'police', ackDeadlineS: 300, escalateTo: 'chief' },
          ...extra,
        },
      ],
    };
    const e = new ResponseEngine({
      config,
      cases,
      channels: new Map([
        ['village', ch('village', village.url)],
        ['police', ch('police', police.url)],
        ['chief', ch('chief', chief.url)],
      ]),
      publish: async (_topic, payload) => {
        const d = decodeMessage('command', payload);
        if (!d.ok) throw new Error(d.error.message);
        published.push(d.value);
      },
      newId,
      lookupPlate,
      now: () => new Date(clock),
      tickMs: 20,
    });
    return { e, village, police, chief };
  }

  const alarm = (): EventMessage => ({ v: 1, id: newId(), deviceId: 'lc-box-1', ts: new Date(clock).toISOString(), kind: 'tricycle_passengers', severity: 'alarm', source: 'vision', data: { riders: 3 } });
  const result = (cmd: CommandMessage, ok = true) => ({ v: 1 as const, id: newId(), deviceId: cmd.deviceId, ts: new Date(clock).toISOString(), commandId: cmd.id, name: cmd.name, ok });
  const states = (caseId: string) => cases.responses(caseId).map((r) => `${r.kind}:${r.state}`);

  it('sends all three, confirms on-site from the box, and closes when village and police are done', async () => {
    const { e, village, police } = await engine();
    const c = (await e.onAlarm(alarm()))!;
    expect(published.map((m) => m.name)).toEqual(['set_light', 'play_clip']);
    expect(states(c.id)).toEqual(['onsite:sent', 'village:sent', 'police:sent']);
    expect(village.got[0]).toMatchObject({ caseId: c.id, kind: 'village', alarm: 'tricycle_passengers', deviceId: 'lc-box-1' });
    expect(police.got[0].idempotencyKey).toMatch(/:police$/);
    for (const m of published) e.onCommandResult(result(m));
    const [, v, p] = cases.responses(c.id);
    e.acknowledge(p.id, 'officer-li');
    e.complete(p.id, 'officer-li', 'patrol stopped the tricycle');
    e.acknowledge(v.id, 'cadre-wang');
    expect(cases.getCase(c.id)?.closedAt).toBeNull();
    e.complete(v.id, 'cadre-wang', '溯源劝诫 done');
    expect(states(c.id)).toEqual(['onsite:done', 'village:done', 'police:done']);
    expect(cases.getCase(c.id)?.closedBy).toBe('cadre-wang');
  });

  it('folds a re-sent alarm of the same incident into one case', async () => {
    const { e, police } = await engine();
    const ev = { ...alarm(), incidentId: newId() };
    const a = await e.onAlarm(ev);
    const b = await e.onAlarm({ ...ev, id: newId() });
    expect(b?.id).toBe(a?.id);
    expect(police.got).toHaveLength(1);
  });

  it('fails on-site when the box refuses, and escalates police when nobody acknowledges in time', async () => {
    const { e, chief } = await engine();
    e.start();
    try {
      const c = (await e.onAlarm(alarm()))!;
      e.onCommandResult(result(published[0], false));
      clock += 301_000;
      await until(() => states(c.id)[2] === 'police:escalated', 3000);
      expect(states(c.id)).toEqual(['onsite:failed', 'village:sent', 'police:escalated']);
      expect(chief.got[0]).toMatchObject({ kind: 'escalation', caseId: c.id });
      // Still open: someone acknowledges the escalated response later.
      const police = cases.responses(c.id)[2];
      e.acknowledge(police.id, 'chief-zhao');
      expect(cases.history(police.id).map((h) => h.to)).toEqual(['pending', 'sent', 'escalated', 'acknowledged']);
    } finally {
      e.stop();
    }
  });

  it('marks a notification failed when the receiver keeps refusing, and a waiver needs a reason', async () => {
    const { e } = await engine(503);
    const c = (await e.onAlarm(alarm()))!;
    const v = cases.responses(c.id)[1];
    expect(v.state).toBe('failed');
    expect(v.note).toMatch(/village: HTTP 503/);
    expect(() => e.waive(v.id, 'admin', ' ')).toThrow(/needs a reason/);
    expect(e.waive(v.id, 'admin', 'village app down; cadre phoned').state).toBe('waived');
  });

  it('resumes pending responses after a restart', async () => {
    const { e, police } = await engine();
    const { case: c } = cases.open(alarm());
    expect(states(c.id)).toEqual(['onsite:pending', 'village:pending', 'police:pending']);
    e.start();
    try {
      await until(() => states(c.id).every((s) => s.endsWith(':sent')), 3000);
      expect(police.got).toHaveLength(1);
    } finally {
      e.stop();
    }
  });

  it('sends the grid worker in person on the third case of the same vehicle within 30 days', async () => {
    const { e, village } = await engine(200, { repeat: { count: 3, withinDays: 30, action: 'visit in person; schedule an education session' } }, (p) =>
      p === '鲁PAB123' ? { id: 'VP-鲁PAB123', owner: '张三' } : undefined,
    );
    const withPlate = () => ({ ...alarm(), data: { plate: '鲁PAB123' } });
    for (let i = 0; i < 3; i++) {
      await e.onAlarm(withPlate());
      clock += 5 * 86_400_000;
    }
    expect(village.got.map((g) => (g.repeat as { count: number; inPerson: boolean }) ?? null)).toEqual([
      { count: 1, inPerson: false },
      { count: 2, inPerson: false },
      { count: 3, inPerson: true, action: 'visit in person; schedule an education session' },
    ]);
    expect(village.got[2].vehicle).toEqual({ id: 'VP-鲁PAB123', owner: '张三' });
    clock += 40 * 86_400_000;
    await e.onAlarm(withPlate());
    expect((village.got[3].repeat as { count: number }).count).toBe(1);
  });

  it('reminds an unacknowledged receiver on its interval with a fresh key each time, until acknowledged', async () => {
    const { e, police } = await engine(200, { police: { channel: 'police', ackDeadlineS: 300, remindEveryS: 60 } });
    e.start();
    try {
      const c = (await e.onAlarm(alarm()))!;
      clock += 61_000;
      await until(() => police.got.length === 2, 3000);
      clock += 61_000;
      await until(() => police.got.length === 3, 3000);
      expect(police.got.map((g) => g.kind)).toEqual(['police', 'reminder', 'reminder']);
      expect(new Set(police.got.map((g) => g.idempotencyKey)).size).toBe(3);
      e.acknowledge(cases.responses(c.id)[2].id, 'officer-li');
      clock += 61_000;
      await new Promise((r) => setTimeout(r, 100));
      expect(police.got).toHaveLength(3);
    } finally {
      e.stop();
    }
  });
});
