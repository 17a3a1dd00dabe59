import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIdGenerator, topics } from '../../protocols/index.ts';
import {
  closeTestStores,
  openTestStore,
  TEST_PG_URL,
  TEST_STORES,
  testPgStorage,
} from '../../sim/testing/sql-stores.ts';
import { until } from '../../sim/testing/until.ts';
import { createBus } from '../bus.ts';
import { Gateway } from '../main.ts';
import { PostgresSql } from '../store/postgres-sql.ts';
import { LiveFeed, type LiveUpdate } from './live-feed.ts';

const newId = createIdGenerator();
const quiet = pino({ level: 'silent' });

describe.each(TEST_STORES)('live feed on $name', (store) => {
  afterEach(closeTestStores);

  it('batches alarms, cases and response moves into notifications and hears its own', async () => {
    const sql = await store.open();
    const bus = createBus();
    const feed = new LiveFeed(sql, bus, quiet);
    await feed.start();
    const heard: LiveUpdate[] = [];
    feed.on((u) => heard.push(u));
    const notified: string[] = [];
    await sql.listen('live', (p) => notified.push(p));
    bus.emit('event', { id: 'E-1', deviceId: 'lc-1', severity: 'alarm' } as never);
    bus.emit('event', { id: 'E-2', deviceId: 'lc-1', severity: 'info' } as never);
    bus.emit('case', { id: 'C-1', deviceId: 'lc-1' });
    bus.emit('response', { id: 'R-1', caseId: 'C-1', kind: 'village', state: 'sent' });
    await until(() => heard.length === 3, 3000, 'three updates');
    expect(heard.map((u) => `${u.type} ${u.data.id}`)).toEqual(['alarm E-1', 'case C-1', 'response R-1']);
    expect(notified).toHaveLength(1);
    // What is not an update (another program on the channel, a bad payload) is counted, not shown.
    await sql.notify('live', 'not json');
    await sql.notify(
      'live',
      JSON.stringify([
        { type: 'case', data: { id: 5 } },
        { type: 'drop', data: { id: 'x' } },
      ]),
    );
    await until(() => feed.dropped === 3, 3000, 'bad updates counted');
    expect(heard).toHaveLength(3);
    await feed.stop();
  });
});

describe('live feed on postgres: two workers', () => {
  afterEach(closeTestStores);

  it('reaches the other worker, and again after its listening connection was killed', async () => {
    const a = await openTestStore('postgres');
    const schema = (a as unknown as { schema: string }).schema;
    // The second worker on the same schema.
    const b = await PostgresSql.connect({ url: TEST_PG_URL, schema, poolSize: 2 });
    try {
      const busA = createBus();
      const feedA = new LiveFeed(a, busA, quiet);
      const feedB = new LiveFeed(b, createBus(), quiet);
      await feedA.start();
      await feedB.start();
      const atB: string[] = [];
      feedB.on((u) => atB.push(u.data.id));
      busA.emit('case', { id: 'C-A1', deviceId: 'lc-1' });
      await until(() => atB.includes('C-A1'), 3000, 'worker B hears worker A');
      const killed = await a.all(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE ? AND pid <> pg_backend_pid()',
        [`LISTEN "${schema}.%`],
      );
      expect(killed.length).toBeGreaterThan(0);
      await until(
        async () => {
          busA.emit('case', { id: `C-A2`, deviceId: 'lc-1' });
          await new Promise((r) => setTimeout(r, 200));
          return atB.includes('C-A2');
        },
        10_000,
        'worker B hears again after its connection came back',
      );
      await feedA.stop();
      await feedB.stop();
    } finally {
      await b.close();
    }
  });
});

describe('dashboard stream across gateway workers sharing one database', () => {
  const pgStorage = testPgStorage();
  const dirs = [mkdtempSync(join(tmpdir(), 'rw-live-a-')), mkdtempSync(join(tmpdir(), 'rw-live-b-'))];
  const box = { id: 'lc-live-1', password: 'box-pass-live-1' };
  const gws: Gateway[] = [];

  beforeAll(async () => {
    for (const dir of dirs) {
      const gw = new Gateway({
        dataDir: dir,
        mqttPort: 0,
        httpPort: 0,
        config: {
          storage: pgStorage.storage,
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
      gws.push(gw);
    }
    await gws[0].services.access.credentials.addDevice(box.id, box.password);
    await gws[0].services.access.credentials.addOperator('officer-wang', 'police-pass-2', 'police', {
      townships: ['梁水镇'],
    });
    await gws[0].services.access.credentials.addOperator('cadre-far', 'cadre-pass-2', 'village', {
      villages: ['远村'],
    });
    await gws[0].services.devices.registry.upsert({ id: box.id, township: '梁水镇', village: '李庄' });
  });
  afterAll(async () => {
    for (const gw of gws.reverse()) await gw.stop();
    await pgStorage.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const stream = async (gw: Gateway, username: string, password: string) => {
    const base = `http://127.0.0.1:${gw.httpPort}`;
    const login = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    const ctl = new AbortController();
    const res = await fetch(`${base}/api/v1/stream`, { headers: { cookie }, signal: ctl.signal });
    const got: string[] = [];
    void (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>)
          got.push(...[...dec.decode(chunk).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]));
      } catch {
        // aborted
      }
    })();
    return { got, stop: () => ctl.abort() };
  };

  it('shows on worker B the alarm, case and responses worker A handled, only to users in scope', async () => {
    const [a, b] = gws;
    const police = await stream(b, 'officer-wang', 'police-pass-2');
    const far = await stream(b, 'cadre-far', 'cadre-pass-2');
    await until(() => police.got.includes('hello') && far.got.includes('hello'), 5000, 'streams open on B');
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.mqttPort}`, {
      username: box.id,
      password: box.password,
      clientId: box.id,
    });
    await c.publishAsync(
      topics.event(box.id, 'tricycle_passengers'),
      JSON.stringify({
        v: 1,
        id: newId(),
        deviceId: box.id,
        ts: new Date().toISOString(),
        kind: 'tricycle_passengers',
        severity: 'alarm',
        source: 'vision',
        data: { vehicle: 'tricycle', riders: 3, plate: '鲁PAB123', plateScore: 0.97 },
      }),
      { qos: 1 },
    );
    await c.endAsync();
    await until(
      () => ['alarm', 'case', 'response'].every((e) => police.got.includes(e)),
      8000,
      'alarm, case and response on worker B',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(far.got).toEqual(['hello']);
    police.stop();
    far.stop();
  });
});
