import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdGenerator, filters, topics } from '../../protocols/index.ts';
import { until } from '../../sim/testing/until.ts';
import { Gateway } from '../main.ts';

const newId = createIdGenerator();

/** A gateway started as the README shows it (no `responses:`): alarms still get their case. */
describe('the default response plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-default-plan-'));
  const logs: Array<{ level: number; msg: string; kind?: string }> = [];
  const box = { id: 'lc-default-1', password: 'box-pass-default-1' };
  const commands: string[] = [];
  let gw: Gateway;
  let base: string;
  let cookie: string;
  let client: MqttClient;

  const publish = async (kind: string) => {
    const ev = {
      v: 1,
      id: newId(),
      deviceId: box.id,
      ts: new Date().toISOString(),
      kind,
      severity: 'alarm',
      source: 'vision',
      data: { vehicle: 'tricycle', riders: 3 },
    };
    await client.publishAsync(topics.event(box.id, kind), JSON.stringify(ev), { qos: 1 });
    return ev.id;
  };
  const get = async (path: string) => (await fetch(`${base}${path}`, { headers: { cookie } })).json();
  const act = (responseId: string, verb: string, body: object) =>
    fetch(`${base}/api/v1/responses/${responseId}/${verb}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0, logger: pino({ level: 'info' }, sink) });
    await gw.start();
    await gw.services.access.credentials.addDevice(box.id, box.password);
    await gw.services.access.credentials.addOperator('duty-admin', 'admin-pass-1', 'admin');
    base = `http://127.0.0.1:${gw.httpPort}`;
    const res = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'duty-admin', password: 'admin-pass-1' }),
    });
    cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort!}`, {
      username: box.id,
      password: box.password,
      clientId: box.id,
    });
    client.on('message', (_t, p) => commands.push(JSON.parse(String(p)).name));
    await client.subscribeAsync(filters.deviceCommands(box.id), { qos: 1 });
  });
  afterAll(async () => {
    await client?.endAsync();
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says at start that it runs on the default plan, and which kinds open no case', async () => {
    const start = logs.find((l) => l.msg.startsWith('default response plan'));
    expect(start?.msg).toContain('tricycle_passengers');
    expect(start?.msg).toMatch(/no case for .*fault/);
    expect(await get('/api/v1/response-plans')).toMatchObject({
      default: true,
      channels: [{ name: 'dashboard', type: 'dashboard' }],
      uncovered: expect.arrayContaining(['fault', 'tamper', 'presence', 'weather']),
    });
  });

  it('opens a case for an offence: the box warns, village and police wait on the dashboard', async () => {
    const eventId = await publish('tricycle_passengers');
    let c: { id: string; eventId: string } | undefined;
    await until(
      async () => {
        c = ((await get('/api/v1/cases')) as { items: Array<{ id: string; eventId: string }> }).items[0];
        return !!c;
      },
      10_000,
      'a case',
    );
    expect(c?.eventId).toBe(eventId);
    await until(() => commands.length >= 2, 10_000, 'the on-site commands');
    expect(commands).toEqual(['set_light', 'play_clip']);
    const responses = await gw.services.responses.cases.responses(c!.id);
    const village = responses.find((r) => r.kind === 'village')!;
    expect(village.state).toBe('sent');

    // The outcome is the record of 溯源劝诫: finishing without one is refused and changes nothing.
    const empty = await act(village.id, 'complete', { outcome: '  ' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toMatch(/outcome/);
    expect((await gw.services.responses.cases.response(village.id))?.state).toBe('sent');

    // Finished straight from "sent": the acknowledgement by the same person is on the record first.
    expect((await act(village.id, 'complete', { outcome: '网格员已上门劝诫' })).status).toBe(200);
    const history = await gw.services.responses.cases.history(village.id);
    expect(history.slice(-2).map((h) => [h.from, h.to, h.actor])).toEqual([
      ['sent', 'acknowledged', 'duty-admin'],
      ['acknowledged', 'done', 'duty-admin'],
    ]);
  });

  it('stores an alarm no plan covers, opens no case, warns once and counts each', async () => {
    const before = ((await get('/api/v1/cases')) as { items: unknown[] }).items.length;
    await publish('tamper');
    await publish('tamper');
    await until(
      async () => /rw_alarms_without_plan_total 2/.test(await (await fetch(`${base}/metrics`)).text()),
      10_000,
      'two alarms counted',
    );
    expect(((await get('/api/v1/cases')) as { items: unknown[] }).items).toHaveLength(before);
    const warned = logs.filter((l) => l.level === 40 && l.kind === 'tamper');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toMatch(/no response plan covers tamper/);
  });
});
