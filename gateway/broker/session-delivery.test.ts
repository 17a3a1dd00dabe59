import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../../sim/testing/free-ports.ts';
import { until } from '../../sim/testing/until.ts';
import { Gateway } from '../main.ts';
import { openGatewayFile } from '../../sim/testing/gateway-files.ts';

/**
 * What aedes alone gets wrong for a persistent session, through plain mqtt.js clients: copies per
 * overlapping filter that came back after every restart, the publisher's QoS on a wildcard
 * filter, wills four minutes late after a restart, and an MQTT 5 box refused in silence.
 */
describe('embedded broker: sessions as MQTT 3.1.1 asks', () => {
  const dirs: string[] = [];
  const open: Array<Gateway | MqttClient> = [];
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await (x instanceof Gateway ? x.stop() : x.endAsync(true));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function gateway(dir: string, port: number, willGraceSeconds?: number): Promise<Gateway> {
    const gw = new Gateway({ dataDir: dir, mqttPort: port, httpPort: 0, config: { broker: { willGraceSeconds } } });
    await gw.start();
    open.push(gw);
    return gw;
  }
  async function client(port: number, o: IClientOptions): Promise<MqttClient> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, ...o });
    open.push(c);
    return c;
  }
  const county = { clientId: 'county', username: 'county', password: 'county-secret', clean: false };
  const box = (id: string) => ({ clientId: id, username: id, password: `${id}-secret` });
  const queuedRows = (dir: string) => {
    const db = openGatewayFile(dir, 'broker.db');
    try {
      return (db.prepare('SELECT count(*) AS n FROM outgoing').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('delivers one copy to a session whose filters overlap, and nothing comes back after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-sess-'));
    dirs.push(dir);
    const [port] = await freePorts(1);
    const a = await gateway(dir, port!);
    await a.services.access.credentials.addDevice('box-1', 'box-1-secret');
    await a.services.access.credentials.addOperator('county', 'county-secret', 'gateway');
    const sub = await client(port!, county);
    await sub.subscribeAsync(['rw/v1/#', 'rw/v1/+/event/+'], { qos: 1 });
    const got: string[] = [];
    sub.on('message', (topic, payload) => topic.includes('/event/') && got.push(payload.toString()));
    const pub = await client(port!, box('box-1'));
    for (let i = 0; i < 20; i++) await pub.publishAsync('rw/v1/box-1/event/presence', `{"n":${i}}`, { qos: 1 });
    await until(() => got.length >= 20, 5000, '20 events');
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(20);
    expect(new Set(got).size).toBe(20);
    // Away while 5 more come: they wait in its session, once each.
    await sub.endAsync();
    for (let i = 20; i < 25; i++) await pub.publishAsync('rw/v1/box-1/event/presence', `{"n":${i}}`, { qos: 1 });
    await until(() => queuedRows(dir) >= 5, 3000, 'the queued events');
    expect(queuedRows(dir)).toBe(5);
    await pub.endAsync();
    await a.stop();
    open.length = 0;

    await gateway(dir, port!);
    const back: string[] = [];
    const again = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, ...county });
    open.push(again);
    again.on('message', (topic, payload) => topic.includes('/event/') && back.push(payload.toString()));
    await until(() => back.length >= 5, 5000, 'the 5 queued events');
    await new Promise((r) => setTimeout(r, 500));
    expect(back.map((p) => (JSON.parse(p) as { n: number }).n)).toEqual([20, 21, 22, 23, 24]);
    await until(() => queuedRows(dir) === 0, 3000, 'the acknowledged rows cleared');
  });

  it('delivers at the lower of the published QoS and the highest QoS of the matching filters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-sess-'));
    dirs.push(dir);
    const gw = await gateway(dir, 0);
    await gw.services.access.credentials.addDevice('box-1', 'box-1-secret');
    await gw.services.access.credentials.addOperator('county', 'county-secret', 'gateway');
    const port = gw.mqttPort!;
    const atZero = await client(port, { ...county, clientId: 'county:zero', clean: true });
    await atZero.subscribeAsync('rw/v1/+/event/#', { qos: 0 });
    const atOne = await client(port, { ...county, clientId: 'county:one', clean: true });
    await atOne.subscribeAsync('rw/v1/#', { qos: 1 });
    // Overlapping: the highest matching QoS (1) wins over a QoS 0 filter listed first.
    const mixed = await client(port, { ...county, clientId: 'county:mixed', clean: true });
    await mixed.subscribeAsync('rw/v1/box-1/event/+', { qos: 0 });
    await mixed.subscribeAsync('rw/v1/+/event/alarm', { qos: 1 });
    const qos = (c: MqttClient) => {
      const seen: number[] = [];
      c.on('message', (t, _p, packet) => t.endsWith('/event/alarm') && seen.push(packet.qos));
      return seen;
    };
    const [zero, one, both] = [qos(atZero), qos(atOne), qos(mixed)];
    const pub = await client(port, box('box-1'));
    await pub.publishAsync('rw/v1/box-1/event/alarm', '{"n":1}', { qos: 2 });
    await until(() => zero.length > 0 && one.length > 0 && both.length > 0, 5000, 'the alarm at every subscriber');
    await new Promise((r) => setTimeout(r, 300));
    expect({ zero, one, both }).toEqual({ zero: [0], one: [1], both: [1] });
  });

  it('after a restart, publishes the will of a box that does not come back, and only its', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-sess-'));
    dirs.push(dir);
    const [port] = await freePorts(1);
    const a = await gateway(dir, port!, 1);
    for (const id of ['box-dead', 'box-back']) await a.services.access.credentials.addDevice(id, `${id}-secret`);
    await a.services.access.credentials.addOperator('county', 'county-secret', 'gateway');
    const will = (id: string) => ({
      topic: `rw/v1/${id}/status`,
      payload: Buffer.from('{"state":"offline"}'),
      qos: 1 as const,
      retain: true,
    });
    const seenAtStop: string[] = [];
    const watcher = await client(port!, { ...county, clientId: 'county:w', clean: true, reconnectPeriod: 0 });
    await watcher.subscribeAsync('rw/v1/+/status', { qos: 1 });
    watcher.on('message', (t) => seenAtStop.push(t));
    const dead = await client(port!, { ...box('box-dead'), clean: false, reconnectPeriod: 0, will: will('box-dead') });
    const back = await client(port!, {
      ...box('box-back'),
      clean: false,
      reconnectPeriod: 200,
      // A box refused while the gateway starts ("server unavailable") tries again, as the edge link does.
      reconnectOnConnackError: true,
      will: will('box-back'),
    });
    await a.stop();
    open.length = 0;
    open.push(dead, back, watcher);
    // A stop is not the boxes' death: no will went out.
    expect(seenAtStop).toEqual([]);

    await gateway(dir, port!, 2);
    await until(() => back.connected, 5000, 'box-back reconnected');
    const started = Date.now();
    const wills: string[] = [];
    const later = await client(port!, { ...county, clientId: 'county:later', clean: true });
    later.on('message', (t, p) => wills.push(`${t} ${p}`));
    await later.subscribeAsync('rw/v1/+/status', { qos: 1 });
    await until(() => wills.length > 0, 5000, 'the dead box’s will');
    await new Promise((r) => setTimeout(r, 500));
    expect(wills).toEqual(['rw/v1/box-dead/status {"state":"offline"}']);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('tells the technician when a box speaks MQTT 5, which the embedded broker does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-sess-'));
    dirs.push(dir);
    const gw = await gateway(dir, 0);
    await gw.services.access.credentials.addDevice('box-5', 'box-5-secret');
    const err = await mqtt
      .connectAsync(`mqtt://127.0.0.1:${gw.mqttPort}`, { ...box('box-5'), protocolVersion: 5, reconnectPeriod: 0 })
      .then(
        (c) => {
          open.push(c);
          return undefined;
        },
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/protocol|version/i);
    const metrics = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^rw_broker_protocol_refused_total 1$/m);
  });
});
