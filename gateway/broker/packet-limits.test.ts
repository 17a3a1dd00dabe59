import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../sim/testing/until.ts';
import { Gateway } from '../main.ts';

/** MQTT's remaining-length varint. */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A raw socket that announces a packet of `announced` bytes and then keeps sending junk. */
async function announce(port: number, first: number, announced: number, send = 2 * 1024 * 1024): Promise<number> {
  const s: Socket = connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const started = Date.now();
  const closed = new Promise<number>((r) => s.once('close', () => r(Date.now() - started)));
  s.on('error', () => {});
  s.write(Buffer.concat([Buffer.from([first]), varint(announced)]));
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  for (let sent = 0; sent < send && !s.destroyed; sent += chunk.length) {
    if (!s.write(chunk)) await Promise.race([new Promise((r) => s.once('drain', r)), closed]);
  }
  const ms = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
  s.destroy();
  return ms;
}

describe('embedded broker: packet size limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-limits-'));
  let gw: Gateway;
  let port: number;
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
  };

  beforeAll(async () => {
    gw = new Gateway({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      config: { broker: { limits: { imageBytes: 256 * 1024 } } },
    });
    await gw.start();
    await gw.services.access.credentials.addDevice('box-1', 'box-1-secret');
    await gw.services.access.credentials.addOperator('county', 'county-secret', 'gateway');
    port = gw.mqttPort!;
  });
  afterAll(async () => {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes unauthenticated sockets announcing 200 MB CONNECTs at once, without holding their bytes', async () => {
    const rssBefore = process.memoryUsage().rss;
    const closedAfter = await Promise.all([1, 2, 3].map(() => announce(port, 0x10, 200 * 1024 * 1024)));
    for (const ms of closedAfter) expect(ms).toBeGreaterThanOrEqual(0);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
    expect(await metric('rw_broker_oversize_closed_total')).toBe(3);
    // A CONNECT of a plausible size whose password is 32 KB: more than a log-in may send.
    const big = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId: 'box-1',
      username: 'box-1',
      password: 'x'.repeat(32 * 1024),
      reconnectPeriod: 0,
    });
    big.on('error', () => {});
    const outcome = await new Promise<string>((r) => {
      big.once('connect', () => r('connected'));
      big.once('close', () => r('closed'));
    });
    big.end(true);
    expect(outcome).toBe('closed');
    expect(await metric('rw_broker_oversize_closed_total')).toBe(4);
  });

  it('after log-in, acknowledges and drops a publish over its kind’s limit; what fits goes through', async () => {
    const county = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'county',
      username: 'county',
      password: 'county-secret',
    });
    const seen: Array<[string, number]> = [];
    county.on('message', (t, p) => seen.push([t.split('/').slice(3).join('/').slice(0, 12), p.length]));
    await county.subscribeAsync('rw/v1/#', { qos: 1 });
    const box = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'box-1',
      username: 'box-1',
      password: 'box-1-secret',
    });
    const sha = 'a'.repeat(64);
    await box.publishAsync('rw/v1/box-1/event/presence', Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
    await box.publishAsync(`rw/v1/box-1/image/${sha}`, Buffer.alloc(300 * 1024), { qos: 1 });
    await box.publishAsync(`rw/v1/box-1/image/${sha}`, Buffer.alloc(200 * 1024), { qos: 1 });
    await box.publishAsync('rw/v1/box-1/event/presence', Buffer.alloc(200 * 1024, 0x20), { qos: 1 });
    await until(() => seen.length >= 2, 5000, 'the two publishes within the limits');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([
      ['image/aaaaaa', 200 * 1024],
      ['event/presen', 200 * 1024],
    ]);
    expect(box.connected).toBe(true);
    expect(await metric('rw_broker_oversize_dropped_total')).toBe(2);
    await box.endAsync();
    await county.endAsync();
  });

  it('closes a logged-in connection that announces a packet larger than any kind allows', async () => {
    const box = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'box-1',
      username: 'box-1',
      password: 'box-1-secret',
      reconnectPeriod: 0,
    });
    const before = await metric('rw_broker_oversize_closed_total');
    const closed = new Promise<void>((r) => box.once('close', () => r()));
    // The bare socket under mqtt.js: a PUBLISH header announcing 100 MB.
    (box.stream as Socket).write(Buffer.concat([Buffer.from([0x30]), varint(100 * 1024 * 1024)]));
    (box.stream as Socket).write(Buffer.alloc(64 * 1024));
    await closed;
    expect(await metric('rw_broker_oversize_closed_total')).toBe(before + 1);
    await box.endAsync(true);
  });
});
