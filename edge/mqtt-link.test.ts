import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator, decodeMessage, topics } from '../protocols/index.ts';
import { startTestBroker, type TestBroker } from '../sim/testing/aedes-broker.ts';
import { until } from '../sim/testing/until.ts';
import { MqttLink } from './mqtt-link.ts';
import { Outbox } from './outbox.ts';
import { selfSignedCert } from '../sim/testing/self-signed.ts';

const DEVICE = 'box-7';
const newId = createIdGenerator();

describe('MqttLink against a real aedes broker', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const outbox = () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-link-'));
    const box = new Outbox({ path: join(d, 'outbox.db') });
    cleanups.push(() => {
      box.close();
      rmSync(d, { recursive: true, force: true });
    });
    return box;
  };
  const broker = async (opts = {}) => {
    const b = await startTestBroker(opts);
    cleanups.push(() => b.close());
    return b;
  };
  const watcher = async (b: TestBroker, filter: string) => {
    const c: MqttClient = await mqtt.connectAsync(b.url, { clientId: `watch-${newId()}` });
    const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
    c.on('message', (topic, payload, packet) =>
      got.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
    await c.subscribeAsync(filter, { qos: 1 });
    cleanups.push(() => c.endAsync());
    return got;
  };
  const link = (b: { url: string }, box: Outbox, extra = {}) => {
    const l = new MqttLink({
      url: b.url,
      deviceId: DEVICE,
      outbox: box,
      newId,
      bdSeq: 3,
      reconnectMinMs: 100,
      reconnectMaxMs: 400,
      ...extra,
    });
    cleanups.push(() => l.stop());
    return l;
  };
  const event = (i: number) => ({
    id: newId(),
    topic: topics.event(DEVICE, 'presence'),
    payload: Buffer.from(JSON.stringify({ i })),
    cls: 'event' as const,
  });

  it('announces itself online (retained), drains the outbox in order, and removes only what was acknowledged', async () => {
    const b = await broker();
    const box = outbox();
    for (let i = 0; i < 50; i++) box.append(event(i));
    const seen = await watcher(b, `rw/v1/${DEVICE}/#`);
    const l = link(b, box);
    l.start();
    await until(() => seen.filter((m) => m.topic.endsWith('/event/presence')).length === 50, 5000);
    const events = seen.filter((m) => m.topic.endsWith('/event/presence')).map((m) => JSON.parse(m.payload).i);
    expect(events).toEqual([...Array(50).keys()]);
    await until(() => box.stats().pending === 0);
    const status = seen.find((m) => m.topic === topics.status(DEVICE));
    const decoded = decodeMessage('status', status!.payload);
    expect(decoded.ok && decoded.value).toMatchObject({ state: 'online', bdSeq: 3 });
  });

  it('leaves a retained offline will with the same bdSeq when the link dies', async () => {
    const b = await broker();
    const l = link(b, outbox());
    l.start();
    await until(() => l.connected);
    // Cut the TCP connection under the client, as a dead 4G modem would.
    const clients = (b.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients;
    clients[DEVICE].conn.destroy();
    const seen = await watcher(b, topics.status(DEVICE));
    await until(() => seen.some((m) => JSON.parse(m.payload).state === 'offline' || seen.length > 1), 5000);
    const offline = seen.map((m) => JSON.parse(m.payload)).find((s) => s.state === 'offline');
    expect(offline).toMatchObject({ state: 'offline', bdSeq: 3 });
  });

  it('queues while the broker is down and delivers everything once it is up', async () => {
    const box = outbox();
    const probe = await startTestBroker();
    const port = probe.port;
    await probe.close();
    const l = link({ url: `mqtt://127.0.0.1:${port}` }, box);
    l.start();
    for (let i = 0; i < 20; i++) box.append(event(i));
    l.kick();
    await new Promise((r) => setTimeout(r, 300));
    expect(box.stats().pending).toBe(20);
    const b = await broker({ port });
    const seen = await watcher(b, topics.event(DEVICE, 'presence'));
    await until(() => box.stats().pending === 0, 8000);
    await until(() => seen.length >= 20, 3000);
    expect(new Set(seen.map((m) => JSON.parse(m.payload).i)).size).toBe(20);
  });

  it('says so when the broker refuses its credentials, and keeps trying', async () => {
    const b = await broker({ users: { [DEVICE]: 'right' } });
    const l = link(b, outbox(), { username: DEVICE, password: 'wrong' });
    const refusals: Error[] = [];
    l.on('auth_refused', (e: Error) => refusals.push(e));
    l.start();
    await until(() => refusals.length >= 2, 5000);
    expect(l.refused).toBe(true);
    expect(l.connected).toBe(false);
  });

  it('hands commands and desired config for this device to the agent', async () => {
    const b = await broker();
    const l = link(b, outbox());
    const got: string[] = [];
    l.on('command', (name: string) => got.push(`cmd:${name}`));
    l.on('config', () => got.push('config'));
    l.start();
    await until(() => l.connected);
    await new Promise((r) => setTimeout(r, 100));
    const c = await mqtt.connectAsync(b.url);
    await c.publishAsync(topics.command(DEVICE, 'play_clip'), '{}', { qos: 1 });
    await c.publishAsync(topics.config(DEVICE), '{}', { qos: 1, retain: true });
    await c.publishAsync(topics.command('box-8', 'play_clip'), '{}', { qos: 1 });
    await c.endAsync();
    await until(() => got.length >= 2);
    expect(got.sort()).toEqual(['cmd:play_clip', 'config']);
  });
});

describe('MqttLink resubscribes after the broker lost its session', () => {
  it('still receives commands after the broker restarts empty', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-link-'));
    const box = new Outbox({ path: join(d, 'outbox.db') });
    let b = await startTestBroker();
    const port = b.port;
    const l = new MqttLink({
      url: b.url,
      deviceId: DEVICE,
      outbox: box,
      newId,
      bdSeq: 1,
      reconnectMinMs: 100,
      reconnectMaxMs: 300,
    });
    const got: string[] = [];
    l.on('command', (name: string) => got.push(name));
    try {
      l.start();
      await until(() => l.connected);
      await b.close();
      await until(() => !l.connected);
      b = await startTestBroker({ port });
      await until(() => l.connected, 5000);
      await new Promise((r) => setTimeout(r, 200));
      const c = await mqtt.connectAsync(b.url);
      await c.publishAsync(topics.command(DEVICE, 'stop'), '{}', { qos: 1 });
      await c.endAsync();
      await until(() => got.includes('stop'), 3000);
    } finally {
      await l.stop();
      await b.close();
      box.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('MqttLink over TLS', () => {
  it('connects to an mqtts:// broker it trusts through caFile, and refuses one it does not', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-tls-'));
    const tls = selfSignedCert(d);
    const cert = readFileSync(tls.certFile);
    const b = await startTestBroker({ tls: { key: readFileSync(tls.keyFile), cert } });
    const box = new Outbox({ path: join(d, 'outbox.db') });
    box.append({ id: newId(), topic: topics.event(DEVICE, 'presence'), payload: Buffer.from('{}'), cls: 'event' });
    const trusted = new MqttLink({ url: b.url, deviceId: DEVICE, outbox: box, newId, bdSeq: 0, ca: cert });
    const untrusted = new MqttLink({
      url: b.url,
      deviceId: 'box-untrusting',
      outbox: box,
      newId,
      bdSeq: 0,
      reconnectMinMs: 100,
    });
    try {
      expect(b.url).toMatch(/^mqtts:/);
      trusted.start();
      await until(() => trusted.connected, 5000);
      await until(() => box.stats().pending === 0, 3000);
      untrusted.start();
      await new Promise((r) => setTimeout(r, 500));
      expect(untrusted.connected).toBe(false);
    } finally {
      await trusted.stop();
      await untrusted.stop();
      await b.close();
      box.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
