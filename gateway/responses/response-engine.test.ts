import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CommandMessage,
  type CommandResultMessage,
  createIdGenerator,
  decodeMessage,
  decodePublish,
  encodeMessage,
  type EventMessage,
  topics,
} from '../../protocols/index.ts';
import { IntakeStore } from '../intake/intake-store.ts';
import { until } from '../../sim/testing/until.ts';
import { CaseStore, type CaseRow } from './case-store.ts';
import { WebhookChannel } from './channels/webhook-channel.ts';
import { Deliveries } from './delivery-store.ts';
import { ResponseEngine, type Places } from './response-engine.ts';
import { OnsiteStore } from './onsite-store.ts';
import type { ResponsesConfig } from './response-plan.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import type { SqlDatabase } from '../store/sql.ts';

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

describe.each(TEST_STORES)('ResponseEngine on $name: one alarm, three responses', (sqlStore) => {
  let db: SqlDatabase;
  let cases: CaseStore;
  let clock: number;
  const servers: Server[] = [];
  let published: CommandMessage[];

  beforeEach(async () => {
    db = await sqlStore.open();
    clock = Date.parse('2026-11-29T00:00:00Z');
    cases = new CaseStore(db, newId, () => new Date(clock));
    published = [];
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) s.close();
    await closeTestStores();
  });

  interface More {
    directory?: ResponsesConfig['directory'];
    limits?: Map<string, number>;
    places?: Places;
  }

  async function engine(
    villageStatus = 200,
    extra: Partial<ResponsesConfig['plans'][number]> = {},
    lookupPlate?: (
      p: string,
    ) => ({ id: string; confidence: number; match: string } & Record<string, unknown>) | undefined,
    more: More = {},
  ) {
    const village = await receiver(villageStatus);
    const police = await receiver();
    const chief = await receiver();
    servers.push(village.server, police.server, chief.server);
    const ch = (name: string, url: string) =>
      new WebhookChannel({ name, url, secret: SECRET, attempts: 2, backoffMs: 5 });
    const config: ResponsesConfig = {
      channels: {},
      directory: more.directory,
      plans: [
        {
          kinds: ['tricycle_passengers'],
          onsite: {
            light: { mode: 'flash', periodMs: 300, durationS: 60 },
            voice: { clip: 2, times: 2 },
            confirmS: 30,
          },
          village: { channel: 'village', ackDeadlineS: 3600 },
          police: { channel: 'police', ackDeadlineS: 300, escalateTo: 'chief' },
          ...extra,
        },
      ],
    };
    const e = new ResponseEngine({
      config,
      cases,
      onsite: new OnsiteStore(db),
      deliveries: new Deliveries(
        db,
        new Map([
          ['village', ch('village', village.url)],
          ['police', ch('police', police.url)],
          ['chief', ch('chief', chief.url)],
        ]),
        more.limits ?? new Map(),
        () => new Date(clock),
      ),
      places: more.places,
      publish: async (_topic, payload) => {
        const d = decodeMessage('command', payload);
        if (!d.ok) throw new Error(d.error.message);
        published.push(d.value);
      },
      newId,
      lookupPlate: lookupPlate && (async (p) => lookupPlate(p)),
      now: () => new Date(clock),
      tickMs: 20,
    });
    return { e, village, police, chief };
  }

  const alarm = (): EventMessage => ({
    v: 1,
    id: newId(),
    deviceId: 'lc-box-1',
    ts: new Date(clock).toISOString(),
    kind: 'tricycle_passengers',
    severity: 'alarm',
    source: 'vision',
    data: { riders: 3 },
  });
  const result = (cmd: CommandMessage, ok = true) => ({
    v: 1 as const,
    id: newId(),
    deviceId: cmd.deviceId,
    ts: new Date(clock).toISOString(),
    commandId: cmd.id,
    name: cmd.name,
    ok,
  });
  /** A box's result as it comes in: stored by intake, then announced to the engine. */
  const answer = async (e: ResponseEngine, m: CommandResultMessage) => {
    const d = decodePublish(topics.commandResult(m.deviceId, m.name), encodeMessage('command_result', m));
    if (!d.ok) throw new Error(d.error.message);
    await new IntakeStore(db).store(d.value, new Date(clock).toISOString());
    await e.onCommandResult(m);
  };
  const states = async (caseId: string) => (await cases.responses(caseId)).map((r) => `${r.kind}:${r.state}`);

  it('sends all three, confirms on-site from the box, and closes when village and police are done', async () => {
    const { e, village, police } = await engine();
    const c = (await e.onAlarm(alarm()))!;
    expect(published.map((m) => m.name)).toEqual(['set_light', 'play_clip']);
    expect(await states(c.id)).toEqual(['onsite:sent', 'village:sent', 'police:sent']);
    expect(village.got[0]).toMatchObject({
      caseId: c.id,
      kind: 'village',
      alarm: 'tricycle_passengers',
      deviceId: 'lc-box-1',
    });
    expect(police.got[0].idempotencyKey).toMatch(/:police$/);
    for (const m of published) await answer(e, result(m));
    const [, v, p] = await cases.responses(c.id);
    await e.acknowledge(p.id, 'officer-li');
    await e.complete(p.id, 'officer-li', 'patrol stopped the tricycle');
    await e.acknowledge(v.id, 'cadre-wang');
    expect((await cases.getCase(c.id))?.closedAt).toBeNull();
    await e.complete(v.id, 'cadre-wang', '溯源劝诫 done');
    expect(await states(c.id)).toEqual(['onsite:done', 'village:done', 'police:done']);
    expect((await cases.getCase(c.id))?.closedBy).toBe('cadre-wang');
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
    await e.start();
    try {
      const c = (await e.onAlarm(alarm()))!;
      await answer(e, result(published[0], false));
      clock += 301_000;
      await until(async () => (await states(c.id))[2] === 'police:escalated', 3000);
      expect(await states(c.id)).toEqual(['onsite:failed', 'village:sent', 'police:escalated']);
      expect(chief.got[0]).toMatchObject({ kind: 'escalation', caseId: c.id });
      // Still open: someone acknowledges the escalated response later.
      const police = (await cases.responses(c.id))[2];
      await e.acknowledge(police.id, 'chief-zhao');
      expect((await cases.history(police.id)).map((h) => h.to)).toEqual([
        'pending',
        'sent',
        'escalated',
        'acknowledged',
      ]);
    } finally {
      await e.stop();
    }
  });

  it('marks a notification failed when the receiver keeps refusing, and a waiver needs a reason', async () => {
    const { e } = await engine(503);
    const c = (await e.onAlarm(alarm()))!;
    const v = (await cases.responses(c.id))[1];
    expect(v.state).toBe('failed');
    expect(v.note).toMatch(/village: HTTP 503/);
    await expect(e.waive(v.id, 'admin', ' ')).rejects.toThrow(/needs a reason/);
    expect((await e.waive(v.id, 'admin', 'village app down; cadre phoned')).state).toBe('waived');
  });

  it('resumes pending responses after a restart', async () => {
    const { e, police } = await engine();
    const { case: c } = await cases.open(alarm());
    expect(await states(c.id)).toEqual(['onsite:pending', 'village:pending', 'police:pending']);
    await e.start();
    try {
      await until(async () => (await states(c.id)).every((s) => s.endsWith(':sent')), 3000);
      expect(police.got).toHaveLength(1);
    } finally {
      await e.stop();
    }
  });

  it('sends the grid worker in person on the third case of the same vehicle within 30 days', async () => {
    const { e, village } = await engine(
      200,
      { repeat: { count: 3, withinDays: 30, action: 'visit in person; schedule an education session' } },
      (p) => (p === '鲁PAB123' ? { id: 'VP-鲁PAB123', owner: '张三', confidence: 1, match: 'exact' } : undefined),
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
    expect(village.got[2].vehicle).toEqual({ id: 'VP-鲁PAB123', owner: '张三', confidence: 1, match: 'exact' });
    clock += 40 * 86_400_000;
    await e.onAlarm(withPlate());
    expect((village.got[3].repeat as { count: number }).count).toBe(1);
  });

  it('reminds an unacknowledged receiver on its interval with a fresh key each time, until acknowledged', async () => {
    const { e, police } = await engine(200, { police: { channel: 'police', ackDeadlineS: 300, remindEveryS: 60 } });
    await e.start();
    try {
      const c = (await e.onAlarm(alarm()))!;
      clock += 61_000;
      await until(() => police.got.length === 2, 3000);
      clock += 61_000;
      await until(() => police.got.length === 3, 3000);
      expect(police.got.map((g) => g.kind)).toEqual(['police', 'reminder', 'reminder']);
      expect(new Set(police.got.map((g) => g.idempotencyKey)).size).toBe(3);
      await e.acknowledge((await cases.responses(c.id))[2].id, 'officer-li');
      clock += 61_000;
      await new Promise((r) => setTimeout(r, 100));
      expect(police.got).toHaveLength(3);
    } finally {
      await e.stop();
    }
  });

  describe('who is told', () => {
    const directory: ResponsesConfig['directory'] = {
      village: [
        { township: '梁水镇', village: '李庄', name: '李庄 grid worker', phone: '+8613800000001' },
        { township: '梁水镇', village: '王庄', name: '王庄 cadre', phone: '+8613800000002' },
        { village: '*', name: 'county grid office' },
      ],
      police: [
        { area: '梁水镇', name: '梁水派出所 duty squad', phone: '110-0001' },
        { area: '*', name: 'county traffic police duty' },
      ],
    };
    const places = (township?: string, village?: string): Places => ({
      device: async () => ({ township, village }),
      neighbours: async () => [],
    });

    it("tells the cadre of the owner's village, found by plate, and the duty squad of the box's township", async () => {
      const lookup = (p: string) =>
        p === '鲁PAB123'
          ? { id: 'V1', plate: p, village: '王庄', township: '梁水镇', confidence: 1, match: 'exact' }
          : undefined;
      const { e, village, police } = await engine(200, {}, lookup, { directory, places: places('梁水镇', '李庄') });
      const c = (await e.onAlarm({ ...alarm(), data: { plate: '鲁PAB123' } }))!;
      expect(village.got[0].recipient).toMatchObject({ name: '王庄 cadre', phone: '+8613800000002' });
      expect((village.got[0].recipient as { routedBy: string }).routedBy).toMatch(
        /owner's village \(archive, plate 鲁PAB123\): 梁水镇 王庄/,
      );
      expect(police.got[0].recipient).toMatchObject({
        name: '梁水派出所 duty squad',
        routedBy: 'duty squad for 梁水镇',
      });
      expect((await cases.responses(c.id))[1]).toMatchObject({
        recipient: { name: '王庄 cadre' },
        note: expect.stringMatching(/to 王庄 cadre/),
      });
    });

    it('never routes by the owner of an unsure read or of an archive plate one confusion away: those are leads', async () => {
      const owner = { id: 'V1', plate: '鲁PA3N82', village: '王庄', township: '梁水镇' };
      // The archive answers as plate-match does: exact for 鲁PA3N82, one confusion away for 鲁PA3N8Z.
      const lookup = (p: string) =>
        p === '鲁PA3N82'
          ? { ...owner, confidence: 1, match: 'exact' }
          : p === '鲁PA3N8Z'
            ? { ...owner, confidence: 0.85, match: 'one OCR confusion (position 7: read Z, archive 2)' }
            : undefined;
      const { e, village } = await engine(200, { repeat: { count: 1, withinDays: 30 } }, lookup, {
        directory,
        places: places('梁水镇', '李庄'),
      });
      // The right plate, but the box was unsure of its last character.
      const unsure = (await e.onAlarm({ ...alarm(), data: { plate: '鲁PA3N82', plateUncertain: '6' } }))!;
      // Read sure, but the archive holds a plate one confusion away.
      const near = (await e.onAlarm({ ...alarm(), data: { plate: '鲁PA3N8Z' } }))!;
      for (const [i, c] of [unsure, near].entries()) {
        expect(c.vehicleId).toBeNull();
        expect(village.got[i].recipient).toMatchObject({ name: '李庄 grid worker' });
        expect(village.got[i].vehicle).toBeUndefined();
        expect(village.got[i].repeat).toBeUndefined();
      }
      expect(village.got[0].lead).toMatchObject({
        id: 'V1',
        why: expect.stringMatching(/uncertain characters \(position 7\)/),
      });
      expect(village.got[1].lead).toMatchObject({
        id: 'V1',
        confidence: 0.85,
        why: expect.stringMatching(/^not the plate read: one OCR confusion/),
      });
      // Read sure and found exactly: that is the vehicle.
      const sure = (await e.onAlarm({ ...alarm(), data: { plate: '鲁PA3N82', plateConfidence: 0.97 } }))!;
      expect(sure.vehicleId).toBe('V1');
      expect(village.got[2]).toMatchObject({ recipient: { name: '王庄 cadre' }, vehicle: { id: 'V1' } });
    });

    it("falls back to the box's own village when the owner is unknown, then to the county-wide entries", async () => {
      const { e, village, police } = await engine(200, {}, undefined, { directory, places: places('梁水镇', '李庄') });
      await e.onAlarm({ ...alarm(), data: { plate: '鲁P00000' } });
      expect(village.got[0].recipient).toMatchObject({
        name: '李庄 grid worker',
        routedBy: expect.stringMatching(/box's own village/),
      });
      const other = await engine(200, {}, undefined, { directory, places: places('黄河镇', '张庄') });
      await other.e.onAlarm(alarm());
      expect(other.village.got[0].recipient).toMatchObject({ name: 'county grid office' });
      expect(other.police.got[0].recipient).toMatchObject({
        name: 'county traffic police duty',
        routedBy: expect.stringMatching(/no squad on file for 黄河镇/),
      });
      expect(police.got[0].recipient).toMatchObject({ name: '梁水派出所 duty squad' });
    });
  });

  it('warns from the neighbouring boxes down the road too, and names a neighbour that did not confirm', async () => {
    const places: Places = {
      device: async () => undefined,
      neighbours: async (_id, m) =>
        [
          { id: 'lc-box-2', distanceM: 180 },
          { id: 'lc-box-3', distanceM: 450 },
        ].filter((n) => n.distanceM <= m),
    };
    const { e } = await engine(
      200,
      { onsite: { light: { mode: 'flash' }, voice: { clip: 2 }, confirmS: 30, neighboursWithinM: 500 } },
      undefined,
      { places },
    );
    await e.start();
    try {
      const c = (await e.onAlarm(alarm()))!;
      expect(published.map((m) => `${m.deviceId}:${m.name}`)).toEqual([
        'lc-box-1:set_light',
        'lc-box-1:play_clip',
        'lc-box-2:set_light',
        'lc-box-2:play_clip',
        'lc-box-3:set_light',
        'lc-box-3:play_clip',
      ]);
      expect((await cases.responses(c.id))[0].note).toMatch(/also lc-box-2 \(180 m\), lc-box-3 \(450 m\)/);
      for (const m of published.filter((m) => m.deviceId !== 'lc-box-3'))
        await answer(e, result(m, m.deviceId !== 'lc-box-2' || m.name !== 'play_clip'));
      expect((await cases.responses(c.id))[0].state).toBe('sent');
      clock += 31_000;
      await until(async () => (await cases.responses(c.id))[0].state === 'done', 3000);
      expect((await cases.responses(c.id))[0].note).toMatch(
        /neighbours: lc-box-2 play_clip: .*; lc-box-3 did not confirm/,
      );
    } finally {
      await e.stop();
    }
  });

  it('sends a receiver at most N an hour and the rest as one digest when the hour has room', async () => {
    const directory = { village: [{ village: '*', name: 'grid office' }] };
    const { e, village } = await engine(200, {}, undefined, { directory, limits: new Map([['village', 2]]) });
    await e.start();
    try {
      const opened: CaseRow[] = [];
      for (let i = 0; i < 5; i++) opened.push((await e.onAlarm(alarm()))!);
      expect(village.got.map((g) => g.kind)).toEqual(['village', 'village']);
      const villageStates = () => Promise.all(opened.map(async (c) => (await cases.responses(c.id))[1].state));
      expect(await villageStates()).toEqual(['sent', 'sent', 'pending', 'pending', 'pending']);
      // A restart does not send held notifications on their own.
      await e.stop();
      await e.start();
      await new Promise((r) => setTimeout(r, 100));
      expect(village.got).toHaveLength(2);
      clock += 3_601_000;
      await until(() => village.got.length === 3, 3000);
      const digest = village.got[2];
      expect(digest).toMatchObject({ kind: 'digest', count: 3, recipient: { name: 'grid office' } });
      expect((digest.items as Array<{ caseId: string }>).map((i) => i.caseId)).toEqual(
        opened.slice(2).map((c) => c.id),
      );
      // The first two passed their own deadline meanwhile (escalated); the held three are now sent.
      await until(async () => (await villageStates()).slice(2).every((s) => s === 'sent'), 3000);
      expect((await cases.responses(opened[4].id))[1].note).toMatch(/in a digest of 3/);
    } finally {
      await e.stop();
    }
  });
});
