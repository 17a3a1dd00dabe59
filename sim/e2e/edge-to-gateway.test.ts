import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent } from '../../edge/index.ts';
import { Gateway } from '../../gateway/index.ts';
import { createIdGenerator, topics } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { until } from '../testing/until.ts';

const run = promisify(execFile);
const DEVICE = 'lc-intake-0001';
const PASSWORD = 'box-secret-1';
const newId = createIdGenerator();

describe('edge agent → gateway: credentials, intake, dedupe, dead letters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-e2g-'));
  let sim: HardwareSimulator;
  let gw: Gateway;
  let agent: EdgeAgent;

  beforeAll(async () => {
    sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), camera: false, speaker: false });
    await sim.start();
    gw = new Gateway({ dataDir: join(dir, 'gw'), mqttPort: 0, httpPort: 0 });
    await gw.start();
    await gw.services.access.credentials.addDevice(DEVICE, PASSWORD);
    agent = new EdgeAgent({
      config: {
        device: { id: DEVICE },
        gateway: { url: `mqtt://127.0.0.1:${gw.mqttPort!}`, username: DEVICE, password: PASSWORD },
        hardware: {
          light: { type: 'modbus', port: sim.ttys.light!, channels: 4 },
          sensors: [{ name: 'approach', type: 'firmata', port: sim.ttys.sensor!, pin: 2, debounceMs: 10 }],
        },
        rules: [
          {
            name: 'warn',
            trigger: { sensor: 'approach' },
            light: { mode: 'flash', durationS: 1 },
            report: { kind: 'presence', severity: 'info' },
          },
        ],
        telemetry: { intervalS: 3600 },
        dataDir: join(dir, 'edge'),
      },
    });
    await agent.start();
    await until(async () => agent.link.connected, 5000);
  });

  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async (sql: string, ...args: string[]) =>
    ((await gw.context.sql.get<{ n: number }>(sql, args)) as { n: number }).n;

  it('registers the box online and stores its event exactly once', async () => {
    await until(
      async () => (await count("SELECT count(*) AS n FROM devices WHERE id = ? AND state = 'online'", DEVICE)) === 1,
      5000,
    );
    await sim.control('sensor on');
    await until(async () => (await count('SELECT count(*) AS n FROM events WHERE device_id = ?', DEVICE)) === 1, 5000);
    await sim.control('sensor off');
    const row = (await gw.context.sql.get('SELECT kind, body FROM events WHERE device_id = ?', [DEVICE])) as {
      kind: string;
      body: string;
    };
    expect(row.kind).toBe('presence');
    expect(JSON.parse(row.body).localActions).toContain('light_flash');
    await until(
      async () => (await count('SELECT count(*) AS n FROM telemetry WHERE device_id = ?', DEVICE)) >= 1,
      5000,
    );
  });

  it('delivers retained desired config to the online box, even with a command right behind it', async () => {
    await gw.services.devices.commands.pushConfig(DEVICE, 42, { volume: 9 });
    await gw.context.mqtt.publish(
      topics.command(DEVICE, 'stop'),
      Buffer.from(
        JSON.stringify({ v: 1, id: newId(), deviceId: DEVICE, ts: new Date().toISOString(), name: 'stop', params: {} }),
      ),
    );
    await until(
      async () => (await count('SELECT count(*) AS n FROM devices WHERE id = ? AND config_version = 42', DEVICE)) === 1,
      5000,
    );
    await until(
      async () =>
        (await count("SELECT count(*) AS n FROM command_results WHERE device_id = ? AND name = 'stop'", DEVICE)) === 1,
      5000,
    );
  });

  it('stores a replayed message once and counts the duplicate', async () => {
    const ev = {
      v: 1,
      id: newId(),
      deviceId: DEVICE,
      ts: new Date().toISOString(),
      kind: 'presence',
      severity: 'info',
      source: 'sensor',
    };
    const before = gw.services.intake.intake.stats.duplicates;
    for (let i = 0; i < 2; i++) {
      await run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(gw.mqttPort!),
        '-V',
        'mqttv311',
        '-i',
        DEVICE,
        '-u',
        DEVICE,
        '-P',
        PASSWORD,
        '-q',
        '1',
        '-t',
        topics.event(DEVICE, 'presence'),
        '-m',
        JSON.stringify(ev),
      ]);
    }
    await until(async () => gw.services.intake.intake.stats.duplicates === before + 1, 5000);
    expect(await count('SELECT count(*) AS n FROM events WHERE id = ?', ev.id)).toBe(1);
    await until(async () => agent.link.connected, 5000); // mosquitto_pub took over the session briefly
  });

  it('keeps malformed and mislabelled messages in dead letters with the reason', async () => {
    const pub = (payload: string) =>
      run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(gw.mqttPort!),
        '-V',
        'mqttv311',
        '-i',
        DEVICE,
        '-u',
        DEVICE,
        '-P',
        PASSWORD,
        '-q',
        '1',
        '-t',
        topics.event(DEVICE, 'presence'),
        '-m',
        payload,
      ]);
    await pub('{"not": "an event"');
    await pub(
      JSON.stringify({
        v: 1,
        id: newId(),
        deviceId: 'lc-someone-else',
        ts: new Date().toISOString(),
        kind: 'presence',
        severity: 'info',
        source: 'sensor',
      }),
    );
    await until(async () => (await count('SELECT count(*) AS n FROM dead_letters')) >= 2, 5000);
    const reasons = (
      (await gw.context.sql.all('SELECT code, reason FROM dead_letters ORDER BY seq')) as Array<{
        code: string;
        reason: string;
      }>
    ).map((r) => `${r.code}: ${r.reason}`);
    expect(reasons[0]).toMatch(/^bad_json: event message is not JSON/);
    expect(reasons[1]).toMatch(/does not match topic device/);
    await until(async () => agent.link.connected, 5000);
  });

  it('carries an evidence package from the box to the API: images by hash, encrypted at rest, shown only to allowed roles and logged', async () => {
    const frame = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 30, g: 90, b: 60 } } })
      .jpeg()
      .toBuffer();
    const plate = await sharp({ create: { width: 94, height: 24, channels: 3, background: { r: 240, g: 200, b: 0 } } })
      .jpeg()
      .toBuffer();
    const evidenceId = agent.reportEvidence({
      images: [
        { role: 'frame', jpeg: frame, width: 320, height: 240 },
        { role: 'plate', jpeg: plate, width: 94, height: 24, box: [100, 150, 94, 24] },
      ],
      recognitions: [{ what: 'plate', label: 'plate', score: 0.93, box: [100, 150, 94, 24], value: '鲁PAB123' }],
    });
    const frameHash = createHash('sha256').update(frame).digest('hex');
    await until(
      async () =>
        (await count('SELECT count(*) AS n FROM evidence WHERE id = ?', evidenceId)) === 1 &&
        (await count('SELECT count(*) AS n FROM evidence_images')) >= 2,
      5000,
    );
    // At rest the file is ciphertext: the JPEG bytes are nowhere in it.
    const onDisk = readFileSync(join(dir, 'gw', 'evidence', frameHash.slice(0, 2), `${frameHash}.jpg.enc`));
    expect(onDisk.includes(frame.subarray(0, 64))).toBe(false);

    const api = `http://127.0.0.1:${gw.httpPort}/api/v1`;
    const police = await gw.services.access.tokens.issue('officer-evidence', 'police');
    const tech = await gw.services.access.tokens.issue('tech-evidence', 'technician');
    const get = (path: string, token: string) =>
      fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const manifest = (await (await get(`/evidence/${evidenceId}`, police)).json()) as {
      images: Array<{ sha256: string; url: string; stored: boolean }>;
    };
    expect(manifest.images.map((i) => i.stored)).toEqual([true, true]);
    const img = await get(manifest.images[0].url.replace('/api/v1', ''), police);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await img.arrayBuffer()).equals(frame)).toBe(true);
    expect((await get(`/images/${frameHash}`, tech)).status).toBe(403);
    expect((await get(`/evidence/${evidenceId}`, tech)).status).toBe(403);
    const log = (await gw.services.access.accessLog.recent(10)).map((e) => `${e.actor} ${e.what} ${e.subject}`);
    expect(log).toContain(`officer-evidence image ${frameHash}`);
    expect(log).toContain(`officer-evidence evidence ${evidenceId}`);
  });

  it('refuses an image whose bytes do not match the hash in its topic, and a non-JPEG, into dead letters', async () => {
    const file = join(dir, 'fake.jpg');
    writeFileSync(file, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]));
    const wrong = 'a'.repeat(64);
    const pub = (topic: string) =>
      run('mosquitto_pub', [
        '-p',
        String(gw.mqttPort!),
        '-V',
        'mqttv311',
        '-i',
        DEVICE,
        '-u',
        DEVICE,
        '-P',
        PASSWORD,
        '-q',
        '1',
        '-t',
        topic,
        '-f',
        file,
      ]);
    const before = await count('SELECT count(*) AS n FROM dead_letters');
    await pub(topics.image(DEVICE, wrong));
    writeFileSync(file, 'GIF89a not a jpeg');
    await pub(topics.image(DEVICE, createHash('sha256').update('GIF89a not a jpeg').digest('hex')));
    await until(async () => (await count('SELECT count(*) AS n FROM dead_letters')) === before + 2, 5000);
    const codes = (
      (await gw.context.sql.all('SELECT code FROM dead_letters ORDER BY seq DESC LIMIT 2')) as Array<{ code: string }>
    ).map((r) => r.code);
    expect(codes.sort()).toEqual(['bad_hash', 'bad_image']);
    expect(await gw.services.evidence.store.has(wrong)).toBe(false);
    await until(async () => agent.link.connected, 5000);
  });
});
