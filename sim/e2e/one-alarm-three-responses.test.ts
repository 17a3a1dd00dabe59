import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent } from '../../edge/index.ts';
import { Gateway, SIGNATURE_HEADER, SYSTEM, verifySignature } from '../../gateway/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { until } from '../testing/until.ts';

const DEVICE = 'lc-3resp-0001';
const PASSWORD = 'box-secret-3';
const SECRET = 'village-and-police-hmac-key';

async function receiver() {
  const got: Array<{ body: Record<string, unknown>; signed: boolean }> = [];
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    got.push({
      body: JSON.parse(raw),
      signed: verifySignature(SECRET, raw, String(req.headers[SIGNATURE_HEADER]), new Date()),
    });
    res.writeHead(202).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { got, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify` };
}

describe('一报警三响应 end to end: box → gateway → box, village app, police dispatch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-3resp-'));
  let sim: HardwareSimulator;
  let gw: Gateway;
  let agent: EdgeAgent;
  let village: Awaited<ReturnType<typeof receiver>>;
  let police: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    village = await receiver();
    police = await receiver();
    sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), camera: false, sensor: false });
    await sim.start();
    gw = new Gateway({
      dataDir: join(dir, 'gw'),
      mqttPort: 0,
      httpPort: 0,
      config: {
        responses: {
          channels: {
            village: { type: 'webhook', url: village.url, secret: SECRET },
            police: { type: 'webhook', url: police.url, secret: SECRET },
          },
          plans: [
            {
              kinds: ['tricycle_passengers'],
              onsite: { light: { mode: 'flash', periodMs: 300, durationS: 5 }, voice: { clip: 5, times: 1 } },
              village: { channel: 'village', ackDeadlineS: 3600 },
              police: { channel: 'police', ackDeadlineS: 300 },
            },
          ],
        },
      },
    });
    await gw.start();
    await gw.services.access.credentials.addDevice(DEVICE, PASSWORD);
    await gw.services.archive.archive.importCsv('plate,class,owner_name,village\n鲁PAB123,tricycle,张三,李庄\n', true);
    agent = new EdgeAgent({
      config: {
        device: { id: DEVICE },
        gateway: { url: `mqtt://127.0.0.1:${gw.mqttPort!}`, username: DEVICE, password: PASSWORD },
        hardware: {
          light: { type: 'modbus', port: sim.ttys.light!, channels: 4 },
          speaker: { type: 'mp3', port: sim.ttys.speaker! },
        },
        rules: [
          {
            name: 'tricycle',
            trigger: { event: 'tricycle_passengers' },
            light: { mode: 'flash', periodMs: 300, durationS: 2 },
            voice: { clip: 2 },
            report: { kind: 'tricycle_passengers', severity: 'alarm' },
          },
        ],
        telemetry: { intervalS: 3600 },
        dataDir: join(dir, 'edge'),
      },
    });
    await agent.start();
    await until(() => agent.link.connected, 5000);
  });

  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await sim?.stop();
    village?.server.close();
    police?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns on the spot, opens one case, runs all three responses, and closes it with who and when', async () => {
    // The plate was read with one OCR confusion (8 for B).
    await agent.reportRecognition({ kind: 'tricycle_passengers', data: { riders: 3, plate: '鲁PA8123' } });
    // On the spot, before any network round trip: the box's own rule played clip 2.
    expect(sim.speaker!.device.plays.at(-1)?.track).toBe(2);

    const cases = () => gw.services.responses.cases.list(SYSTEM, { limit: 10 });
    await until(async () => (await cases()).length === 1, 5000, 'one case');
    const caseId = (await cases())[0].id;
    const states = async () => (await gw.services.responses.cases.responses(caseId)).map((r) => `${r.kind}:${r.state}`);

    // 1. On-site: the gateway commanded the box (clip 5), and the box confirmed.
    await until(async () => (await states())[0] === 'onsite:done', 8000);
    expect(sim.speaker!.device.plays.some((p) => p.track === 5)).toBe(true);
    // 2 and 3: village app and police dispatch were notified, signed.
    await until(() => village.got.length === 1 && police.got.length === 1, 5000);
    expect(village.got[0]).toMatchObject({
      signed: true,
      body: { kind: 'village', caseId, deviceId: DEVICE, alarm: 'tricycle_passengers' },
    });
    expect(police.got[0].signed).toBe(true);
    // The archive holds 鲁PAB123, one confusion from the read: a lead for the cadre, not the owner.
    expect(village.got[0].body.vehicle).toBeUndefined();
    expect(village.got[0].body.lead).toMatchObject({
      plate: '鲁PAB123',
      confidence: 0.85,
      owner: '张三',
      village: '李庄',
      why: expect.stringMatching(/^not the plate read: one OCR confusion/),
    });
    expect(await states()).toEqual(['onsite:done', 'village:sent', 'police:sent']);

    // The people act through the HTTP API, each with a token of their role.
    const api = `http://127.0.0.1:${gw.httpPort}/api/v1`;
    const policeToken = await gw.services.access.tokens.issue('duty-officer-li', 'police');
    const villageToken = await gw.services.access.tokens.issue('grid-worker-wang', 'village');
    const call = (path: string, token: string, body?: unknown) =>
      fetch(`${api}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
    const [, v, p] = await gw.services.responses.cases.responses(caseId);
    expect((await call(`/responses/${v.id}/acknowledge`, policeToken, {})).status).toBe(403);
    expect((await fetch(`${api}/cases/${caseId}`)).status).toBe(401);
    expect((await call(`/responses/${p.id}/acknowledge`, policeToken, { note: 'car 3 on the way' })).status).toBe(200);
    expect(
      (await call(`/responses/${p.id}/complete`, policeToken, { outcome: 'patrol car stopped the tricycle' })).status,
    ).toBe(200);
    const again = await call(`/responses/${p.id}/acknowledge`, policeToken, {});
    expect(again.status).toBe(409);
    expect(((await again.json()) as { message: string }).message).toMatch(/police response is done/);
    await call(`/responses/${v.id}/acknowledge`, villageToken, {});
    await call(`/responses/${v.id}/complete`, villageToken, {
      outcome: '溯源劝诫: visited the owner, who signed a pledge',
    });
    const c = (await (await call(`/cases/${caseId}`, villageToken)).json()) as {
      closedBy: string;
      closedAt: string;
      responses: Array<{ kind: string; state: string; history: unknown[] }>;
    };
    expect(c).toMatchObject({ closedBy: 'grid-worker-wang', closedAt: expect.any(String) });
    expect(c.responses.map((r) => `${r.kind}:${r.state}`)).toEqual(['onsite:done', 'village:done', 'police:done']);
    const alarms = (await (await call('/alarms?limit=10', villageToken)).json()) as {
      items: Array<{ caseId: string; closedAt: string }>;
    };
    expect(alarms.items[0]).toMatchObject({ caseId, closedAt: expect.any(String) });
    const look = (await (
      await call(`/archive/lookup?plate=${encodeURIComponent('鲁PA8123')}`, policeToken)
    ).json()) as { confidence: number; vehicle: { ownerName: string } };
    expect(look).toMatchObject({ confidence: 0.85, vehicle: { ownerName: '张三' } });
    const devices = (await (await call('/devices', villageToken)).json()) as Array<{ id: string; state: string }>;
    expect(devices).toEqual([expect.objectContaining({ id: DEVICE, state: 'online' })]);
    const metrics = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^rw_cases_open 0$/m);
    expect(metrics).toMatch(/^rw_intake_stored_total [1-9]\d*$/m);
    // Where an alarm's time goes: storing it, its case, its three responses, each channel.
    expect(metrics).toMatch(/^rw_intake_store_seconds_count\{kind="event"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^rw_alarm_case_seconds_count [1-9]\d*$/m);
    expect(metrics).toMatch(/^rw_alarm_dispatch_seconds_count [1-9]\d*$/m);
    expect(metrics).toMatch(/^rw_alarm_dispatch_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^rw_delivery_seconds_count\{channel="[^"]+",ok="true"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^rw_process_resident_memory_bytes \d+/m);
  });
});
