import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdGenerator, sha256Hex, topics } from '../../protocols/index.ts';
import { tricycleAlarm } from '../../sim/testing/alarm.ts';
import { until } from '../../sim/testing/until.ts';
import { SYSTEM } from '../access/viewer.ts';
import { Gateway } from '../main.ts';

const newId = createIdGenerator();
const BOX = { id: 'lc-photo-1', password: 'box-pass-photo-1' };

/** The outcome's photo: kept as evidence of the case, shown to who may see the case, and nothing else. */
describe('a photo with the outcome', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-outcome-photo-'));
  let gw: Gateway;
  let client: MqttClient;
  let jpeg: Buffer;
  const tokens: Record<string, string> = {};
  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
  };
  const villageResponse = async () => {
    const c = (await gw.services.responses.cases.list(SYSTEM, { limit: 5 }))[0]!;
    return (await gw.services.responses.cases.responses(c.id)).find((r) => r.kind === 'village')!;
  };

  beforeAll(async () => {
    gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
    await gw.services.access.credentials.addDevice(BOX.id, BOX.password);
    await gw.services.devices.registry.upsert({ id: BOX.id, township: '梁水镇', village: '李庄' });
    tokens.admin = await gw.services.access.tokens.issue('admin-1', 'admin');
    tokens.cadre = await gw.services.access.tokens.issue('cadre-li', 'village', { villages: ['李庄'] });
    tokens.other = await gw.services.access.tokens.issue('cadre-wang', 'village', { villages: ['王屯'] });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort!}`, {
      username: BOX.id,
      password: BOX.password,
      clientId: BOX.id,
    });
    const ev = tricycleAlarm(newId, BOX.id);
    await client.publishAsync(topics.event(BOX.id, ev.kind), JSON.stringify(ev), { qos: 1 });
    await until(
      async () => (await gw.services.responses.cases.list(SYSTEM, { limit: 5 })).length === 1,
      10_000,
      'the case',
    );
    // The engine sends the village response in the background; wait for that move so the refusals
    // below are compared against a state nothing else is about to change.
    await until(async () => (await villageResponse()).state !== 'pending', 10_000, 'the village response sent');
    jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a6' } })
      .jpeg()
      .toBuffer();
  });
  afterAll(async () => {
    await client?.endAsync();
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses what is not a whole JPEG, a photo without an outcome or on another action, and an oversized body; keeps nothing', async () => {
    const r = await villageResponse();
    const complete = `/api/v1/responses/${r.id}/complete`;
    const cut = jpeg.subarray(0, jpeg.length - 10);
    const bad = [
      await call('cadre', 'POST', complete, {
        outcome: '已上门',
        photo: Buffer.from('not a jpeg at all').toString('base64'),
      }),
      await call('cadre', 'POST', complete, { outcome: '已上门', photo: cut.toString('base64') }),
      await call('cadre', 'POST', complete, { outcome: '  ', photo: jpeg.toString('base64') }),
      await call('cadre', 'POST', `/api/v1/responses/${r.id}/acknowledge`, {
        note: 'ok',
        photo: jpeg.toString('base64'),
      }),
    ];
    expect(bad.map((b) => b.status)).toEqual([400, 400, 400, 400]);
    expect(bad[0]!.body.toString()).toMatch(/the photo: image is not a JPEG/);
    const huge = await call(
      'cadre',
      'POST',
      complete,
      JSON.stringify({ outcome: 'x', photo: 'A'.repeat(7 * 1024 * 1024) }),
    );
    expect(huge.status).toBe(413);
    expect((await villageResponse()).state).toBe(r.state);
    for (const b of [jpeg, cut]) expect(await gw.services.evidence.store.has(sha256Hex(b))).toBe(false);
  });

  it('keeps the photo with the move that recorded the outcome; the case’s village sees it, another village does not', async () => {
    const r = await villageResponse();
    const done = await call('cadre', 'POST', `/api/v1/responses/${r.id}/complete`, {
      outcome: '溯源劝诫：已上门，车主签了承诺书',
      photo: jpeg.toString('base64'),
    });
    expect(done.status, done.body.toString()).toBe(200);
    const sha = sha256Hex(jpeg);
    const c = JSON.parse((await call('cadre', 'GET', `/api/v1/cases/${r.caseId}`)).body.toString()) as {
      responses: Array<{ kind: string; history: Array<{ to: string; photo?: string }> }>;
    };
    const history = c.responses.find((x) => x.kind === 'village')!.history;
    expect(history.at(-1)).toMatchObject({ to: 'done', photo: sha });
    expect(history.filter((h) => h.photo)).toHaveLength(1);
    for (const who of ['cadre', 'admin']) {
      const img = await call(who, 'GET', `/api/v1/images/${sha}`);
      expect(img.status, who).toBe(200);
      expect(img.body.equals(jpeg)).toBe(true);
    }
    expect((await call('other', 'GET', `/api/v1/images/${sha}`)).status).toBe(404);
    // Kept encrypted like every evidence image, and each view logged.
    const log = await gw.services.access.accessLog.recent(20);
    expect(log.filter((e) => e.subject === sha).map((e) => e.actor)).toEqual(
      expect.arrayContaining(['cadre-li', 'admin-1']),
    );
  });
});
