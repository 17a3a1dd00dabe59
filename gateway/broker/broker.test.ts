import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { createIdGenerator } from '../../protocols/index.ts';
const newId = createIdGenerator();
import { until } from '../../sim/testing/until.ts';
import { Gateway } from '../main.ts';

const run = promisify(execFile);

/** mosquitto_pub / mosquitto_sub (Debian mosquitto-clients): MQTT clients nobody here wrote. */
const pub = (port: number, args: string[]) =>
  run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', ...args], { timeout: 10_000 });

function sub(port: number, args: string[]): { lines: string[]; stderr: () => string; done: Promise<number | null> } {
  const p = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-v', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  p.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  p.stderr.on('data', (d: Buffer) => (err += d));
  return { lines, stderr: () => err, done: new Promise((r) => p.on('exit', r)) };
}

describe('embedded broker: credentials and topic ACLs, with mosquitto clients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-gw-'));
  let gw: Gateway;
  let port: number;

  beforeAll(async () => {
    gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
    await gw.services.access.credentials.addDevice('box-1', 'box-1-secret');
    await gw.services.access.credentials.addDevice('box-2', 'box-2-secret');
    await gw.services.access.credentials.addOperator('county', 'county-secret', 'gateway');
    port = gw.mqttPort!;
  });

  afterAll(async () => {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const asDevice = (id: string, pw = `${id}-secret`) => ['-i', id, '-u', id, '-P', pw];

  it('stores only hashes: scrypt for people, a keyed HMAC for boxes’ random secrets', async () => {
    const rows = await gw.context.sql.all<{ kind: string; h: string }>(
      'SELECT kind, password_hash AS h FROM credentials',
    );
    for (const r of rows)
      expect(r.h).toMatch(r.kind === 'device' ? /^hmac-sha256\$[A-Za-z0-9+/]{43}=$/ : /^scrypt\$16384\$8\$1\$/);
    expect(rows.map((r) => r.h).join()).not.toContain('secret');
    // Mosquitto's PBKDF2 hash is kept for boxes only: a person's password keeps just its scrypt hash.
    const broker = await gw.context.sql.all<{ kind: string; b: string | null }>(
      'SELECT kind, broker_hash AS b FROM credentials',
    );
    for (const r of broker) expect(r.b === null, r.kind).toBe(r.kind === 'operator');
  });

  it('delivers a device’s own report to the county, and refuses a wrong password', async () => {
    const county = sub(port, [
      '-i',
      'county',
      '-u',
      'county',
      '-P',
      'county-secret',
      '-t',
      'rw/v1/+/telemetry',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    await pub(port, [...asDevice('box-1'), '-q', '1', '-t', 'rw/v1/box-1/telemetry', '-m', '{"ok":1}']);
    expect(await county.done).toBe(0);
    expect(county.lines).toEqual(['rw/v1/box-1/telemetry {"ok":1}']);

    const before = gw.services.broker.embedded!.stats!.authRefused;
    await expect(
      pub(port, [...asDevice('box-1', 'wrong-password'), '-t', 'rw/v1/box-1/telemetry', '-m', 'x']),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/not authori[sz]ed|Connection Refused/i),
    });
    expect(gw.services.broker.embedded!.stats!.authRefused).toBe(before + 1);
  });

  it('refuses a device that connects with another device’s client id', async () => {
    await expect(
      pub(port, ['-i', 'box-2', '-u', 'box-1', '-P', 'box-1-secret', '-t', 'rw/v1/box-1/telemetry', '-m', 'x']),
    ).rejects.toBeTruthy();
  });

  it('does not deliver a device’s publish under another device’s topic, and counts it', async () => {
    const county = sub(port, ['-i', 'county:2', '-u', 'county', '-P', 'county-secret', '-t', 'rw/v1/#', '-W', '2']);
    await new Promise((r) => setTimeout(r, 300));
    const before = gw.services.broker.embedded!.stats!.publishDenied;
    await pub(port, [...asDevice('box-1'), '-q', '1', '-t', 'rw/v1/box-2/event/presence', '-m', '{"spoof":1}']).catch(
      () => undefined,
    );
    await pub(port, [...asDevice('box-1'), '-q', '1', '-t', 'rw/v1/box-1/cmd/stop', '-m', '{}']).catch(() => undefined);
    await county.done;
    expect(county.lines.filter((l) => l.includes('spoof') || l.includes('/cmd/stop'))).toEqual([]);
    expect(gw.services.broker.embedded!.stats!.publishDenied).toBe(before + 2);
  });

  it('lets a device read its own commands but not another device’s', async () => {
    const mine = sub(port, [...asDevice('box-2'), '-t', 'rw/v1/box-2/cmd/+', '-C', '1', '-W', '10']);
    const theirs = sub(port, [
      '-i',
      'box-1',
      '-u',
      'box-1',
      '-P',
      'box-1-secret',
      '-t',
      'rw/v1/box-2/cmd/+',
      '-W',
      '3',
    ]);
    await new Promise((r) => setTimeout(r, 400));
    await pub(port, [
      '-i',
      'county:3',
      '-u',
      'county',
      '-P',
      'county-secret',
      '-q',
      '1',
      '-t',
      'rw/v1/box-2/cmd/stop',
      '-m',
      '{"c":1}',
    ]);
    expect(await mine.done).toBe(0);
    expect(mine.lines).toEqual(['rw/v1/box-2/cmd/stop {"c":1}']);
    await theirs.done;
    expect(theirs.lines).toEqual([]);
    await until(() => gw.services.broker.embedded!.stats!.subscribeDenied >= 1);
  });
});

describe('embedded broker persistence', () => {
  it('loses no QoS 1 report when many boxes publish at once (intake stores every one)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-gw-'));
    const gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
    try {
      const ids = Array.from({ length: 20 }, (_, i) => `box-c${i}`);
      for (const id of ids) await gw.services.access.credentials.addDevice(id, `${id}-secret`);
      const clients = await Promise.all(
        ids.map((id) =>
          mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort!}`, {
            clientId: id,
            username: id,
            password: `${id}-secret`,
            clean: false,
          }),
        ),
      );
      const n = 50;
      await Promise.all(
        clients.flatMap((c, k) =>
          Array.from({ length: n }, (_, i) =>
            c.publishAsync(
              `rw/v1/${ids[k]}/event/presence`,
              JSON.stringify({
                v: 1,
                id: newId(),
                deviceId: ids[k],
                ts: new Date().toISOString(),
                kind: 'presence',
                severity: 'info',
                source: 'sensor',
                data: { i },
              }),
              { qos: 1 },
            ),
          ),
        ),
      );
      await until(() => gw.services.intake.intake.stats.stored === ids.length * n, 5000, `${ids.length * n} stored`);
      await Promise.all(clients.map((c) => c.endAsync()));
    } finally {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers a retained birth followed at once by another publish (a race aedes 1.2 had with LevelDB persistence)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-gw-'));
    const gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
    try {
      await gw.services.access.credentials.addDevice('box-5', 'box-5-secret');
      await gw.services.access.credentials.addOperator('county', 'county-secret', 'gateway');
      const url = `mqtt://127.0.0.1:${gw.mqttPort!}`;
      const county = await mqtt.connectAsync(url, {
        clientId: 'county:r',
        username: 'county',
        password: 'county-secret',
      });
      const got: string[] = [];
      county.on('message', (t) => got.push(t));
      await county.subscribeAsync('rw/v1/box-5/#', { qos: 1 });
      const box = await mqtt.connectAsync(url, { clientId: 'box-5', username: 'box-5', password: 'box-5-secret' });
      box.publish('rw/v1/box-5/status', '{"state":"online"}', { qos: 1, retain: true });
      box.publish('rw/v1/box-5/telemetry', '{}', { qos: 1 });
      await until(() => got.length >= 2, 3000);
      expect(got).toEqual(['rw/v1/box-5/status', 'rw/v1/box-5/telemetry']);
      await box.endAsync();
      await county.endAsync();
    } finally {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps retained messages and credentials across a restart (on disk, not memory)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-gw-'));
    try {
      const a = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
      await a.start();
      await a.services.access.credentials.addDevice('box-9', 'box-9-secret');
      await a.services.access.credentials.addOperator('county', 'county-secret', 'gateway');
      await pub(a.mqttPort!, [
        '-i',
        'box-9',
        '-u',
        'box-9',
        '-P',
        'box-9-secret',
        '-q',
        '1',
        '-r',
        '-t',
        'rw/v1/box-9/status',
        '-m',
        '{"state":"online"}',
      ]);
      await a.stop();

      const b = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
      await b.start();
      const got = sub(b.mqttPort!, [
        '-i',
        'county',
        '-u',
        'county',
        '-P',
        'county-secret',
        '-t',
        'rw/v1/+/status',
        '-C',
        '1',
        '-W',
        '5',
      ]);
      expect(await got.done).toBe(0);
      expect(got.lines).toEqual(['rw/v1/box-9/status {"state":"online"}']);
      await b.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a box's persistent session across a gateway restart: commands sent while it was away arrive after", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-gw-'));
    try {
      const a = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
      await a.start();
      await a.services.access.credentials.addDevice('box-p', 'box-p-secret');
      const opts = { clientId: 'box-p', username: 'box-p', password: 'box-p-secret', clean: false };
      const first = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.mqttPort!}`, opts);
      await first.subscribeAsync('rw/v1/box-p/cmd/+', { qos: 1 });
      await first.endAsync();
      const sent: string[] = [];
      for (let i = 0; i < 200; i++) {
        const id = newId();
        sent.push(id);
        await a.context.mqtt.publish('rw/v1/box-p/cmd/stop', Buffer.from(JSON.stringify({ id })));
      }
      await a.stop();

      const b = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
      await b.start();
      const got: string[] = [];
      const again = mqtt.connect(`mqtt://127.0.0.1:${b.mqttPort!}`, opts);
      again.on('message', (_t, payload) => got.push((JSON.parse(payload.toString()) as { id: string }).id));
      await until(() => got.length >= 200, 10_000, '200 queued commands');
      expect(got).toEqual(sent);
      await again.endAsync();
      await b.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
