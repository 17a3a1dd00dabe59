import { parseEnv } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent, loadEdgeConfig } from '../../edge/index.ts';
import { Gateway } from '../../gateway/index.ts';
import { generateUpdateKeys } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { until } from '../testing/until.ts';
import { runCli } from '../testing/run-cli.ts';

interface Ticket {
  id: string;
  kind: string;
  team: string | null;
  detail: string | null;
}

/**
 * A technician's day, end to end over real paths: commission a box against the simulated
 * hardware on ptys (auto-probe finds the controller at slave 7 / 19200 baud, GPS over NMEA),
 * self-test it, a lamp burns out in service and opens a ticket, which closes only after a
 * repair and a passing self-test.
 */
describe('field technicians: commission, self-test, fault tickets', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-tech-'));
  const hw = new HardwareSimulator({
    pty: true,
    ptyDir: join(dir, 'tty'),
    strictBaud: true,
    light: { unit: 7, baudRate: 19200, channels: 4 },
    speaker: {},
    sensor: { pin: 2 },
    camera: {},
    gps: { lat: 36.4562, lon: 115.9854 },
  });
  let gw: Gateway;
  let api: string;
  let token: string;
  const yamlPath = join(dir, 'edge.yaml');
  const otaKey = join(dir, 'ota-update.pub');
  writeFileSync(otaKey, generateUpdateKeys().publicKeyPem);
  const envPath = join(dir, 'edge.env');
  const get = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as T;
  const close = async (id: string, note: string) => {
    const res = await fetch(`${api}/api/v1/tickets/${id}/close`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ note }),
    });
    return { status: res.status, body: (await res.json()) as { error?: string; message?: string; closedBy?: string } };
  };
  const selftest = (sensorWait: number) =>
    runCli(
      [
        'selftest',
        '--config',
        yamlPath,
        '--env-file',
        envPath,
        '--sensor-wait',
        String(sensorWait),
        '--snapshot',
        join(dir, 'frame.jpg'),
        '--by',
        'tech-li',
      ],
      { timeoutMs: 90_000 },
    );

  beforeAll(async () => {
    await hw.start();
    gw = new Gateway({
      dataDir: join(dir, 'gw'),
      mqttPort: 0,
      httpPort: 0,
      config: { tickets: { teams: { 梁水镇: 'team-liangshui' } } },
    });
    await gw.start();
    api = `http://127.0.0.1:${gw.httpPort}`;
    token = await gw.services.access.tokens.issue('tech-li', 'technician');
  });
  afterAll(async () => {
    await gw?.stop();
    await hw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commissions a box: probes the hardware, reads the GPS, registers it, writes edge.yaml and a private .env', async () => {
    const r = await runCli(
      [
        'commission',
        '--no-interactive',
        '--json',
        '--id',
        'lc-liangshui-0007',
        '--township',
        '梁水镇',
        '--village',
        '李庄',
        '--crossing',
        '李庄路口',
        '--road',
        'X012',
        '--gps',
        hw.endpoints.gps!,
        '--gps-timeout',
        '20',
        '--probe',
        '--probe-ports',
        `${hw.ttys.light},${hw.ttys.speaker}`,
        // The simulated modules answer late when the whole suite loads this machine.
        '--probe-timeout',
        '300',
        '--sensor',
        hw.endpoints.sensor!,
        '--camera',
        hw.endpoints.camera!,
        '--donor',
        '聊城爱心车队',
        '--donor-date',
        '2026-11-20',
        '--donor-amount',
        '3000',
        '--donor-thanks',
        '感谢爱心车队捐赠警示灯',
        '--gateway',
        `mqtt://127.0.0.1:${gw.mqttPort!}`,
        '--api',
        api,
        '--token',
        token,
        '--technician',
        'tech-li',
        '--out',
        yamlPath,
        '--data-dir',
        join(dir, 'box'),
        // The camera takes evidence here; recognition on the box is the offline case's.
        '--no-vision',
        '--ota-key',
        otaKey,
      ],
      { timeoutMs: 90_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    // The box takes signed agent updates from the centre (docs/county/ota.md).
    expect(loadEdgeConfig(yamlPath, { RW_DEVICE_PASSWORD: 'x', RW_STORAGE_KEY: `${'a'.repeat(43)}=` }).ota).toEqual({
      publicKey: otaKey,
    });
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      id: 'lc-liangshui-0007',
      light: `modbus:${hw.ttys.light}?unit=7&baud=19200&channels=4`,
      speaker: `mp3:${hw.ttys.speaker}`,
      position: { source: 'gps' },
      registered: true,
    });
    expect(statSync(envPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(yamlPath, 'utf8')).not.toMatch(/RW_DEVICE_PASSWORD=/);
    expect(readFileSync(yamlPath, 'utf8')).not.toMatch(/^vision:/m);
    const device = (await gw.services.devices.registry.get('lc-liangshui-0007'))!;
    expect(device).toMatchObject({
      township: '梁水镇',
      commissioned: { by: 'tech-li', position: { source: 'gps' } },
      donor: { name: '聊城爱心车队', amount: 3000 },
    });
    expect(device.lat).toBeCloseTo(36.4562, 4);
    const wall = (await (await fetch(`${api}/donors.json`)).json()) as Array<{ donor: string; amount?: number }>;
    expect(wall[0]).toMatchObject({ donor: '聊城爱心车队', place: '梁水镇 李庄 李庄路口' });
    expect(wall[0].amount).toBeUndefined();
  });

  it('self-tests the box with the sensor triggered by hand; the report reaches the device record', async () => {
    // Someone walks through the detector loop now and then while the test runs.
    const walker = setInterval(() => void hw.control(hw.board!.device.values[2] ? 'sensor off' : 'sensor on'), 300);
    const r = await selftest(20).finally(() => clearInterval(walker));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const line of [
      'light    channel 4 lamp lights',
      'speaker  plays test clip 1',
      'approach triggered by hand',
      'camera   grabs a frame',
      'gateway  credentials accepted',
      'clock    in sync with gateway',
    ]) {
      expect(r.stdout).toContain(`PASS  ${line}`);
    }
    expect(r.stdout).toMatch(/self-test PASSED: every check \(13\) — report sent to the gateway/);
    expect(readFileSync(join(dir, 'frame.jpg')).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const dev = await get<{ selftests: Array<{ ok: boolean; by: string; trigger: string }> }>(
      '/api/v1/devices/lc-liangshui-0007',
    );
    expect(dev.selftests[0]).toMatchObject({ ok: true, by: 'tech-li', trigger: 'technician' });
  });

  it('a lamp burns out in service: a ticket opens for the township team; it closes only after the repair and a passing self-test', async () => {
    // The secrets as systemd's EnvironmentFile= gives them: the device password and the outbox key.
    const config = loadEdgeConfig(yamlPath, { ...process.env, ...parseEnv(readFileSync(envPath, 'utf8')) });
    const agent = new EdgeAgent({ config });
    await agent.start();
    await hw.control('burn 2');
    let ticket: Ticket | undefined;
    const deadline = Date.now() + 20_000;
    while (!ticket && Date.now() < deadline) {
      // A vehicle passes: the lights flash, and lamp 2 reads dark.
      await hw.control('sensor off');
      await new Promise((r) => setTimeout(r, 300));
      await hw.control('sensor on');
      await new Promise((r) => setTimeout(r, 700));
      ticket = (await get<{ items: Ticket[] }>('/api/v1/tickets?open=true&device=lc-liangshui-0007')).items[0];
    }
    expect(ticket).toMatchObject({
      kind: 'lamp_fault',
      team: 'team-liangshui',
      detail: expect.stringContaining('channel 2'),
    });
    await agent.stop();

    // The earlier self-test is older than the fault: 销号 is refused.
    expect((await close(ticket!.id, '换灯泡')).body.error).toBe('selftest_required');

    // Self-test before the repair fails on channel 2, and still cannot close the ticket.
    const before = await selftest(0);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/FAIL {2}light {4}channel 2 lamp lights +channel 2: lamp open circuit/);
    expect((await close(ticket!.id, '换灯泡')).body.message).toMatch(/failed: light: channel 2 lamp lights/);

    await hw.control('fix 2');
    // After the repair the agent is back in service: the technician's self-test goes through it
    // (the ports stay the agent's, and so does its MQTT session).
    const back = new EdgeAgent({ config });
    await back.start();
    try {
      await until(() => back.link.connected, 10_000, 'the agent connected');
      let dropped = 0;
      back.link.on('disconnected', () => dropped++);
      const after = await selftest(0);
      expect(after.code, after.stdout).toBe(0);
      expect(after.stdout).toContain('(run by the edge agent on this box, which keeps running)');
      expect(after.stdout).toMatch(/PASS {2}light {4}channel 2 lamp lights/);
      expect(after.stdout).toMatch(/PASS {2}gateway {2}credentials accepted +.*\(the agent's session\)/);
      expect(back.link.connected).toBe(true);
      expect(dropped).toBe(0);
      await until(
        async () =>
          (await get<{ selftests: Array<{ ok: boolean; trigger: string }> }>('/api/v1/devices/lc-liangshui-0007'))
            .selftests[0]?.ok === true,
        10_000,
        "the agent's report at the gateway",
      );
    } finally {
      await back.stop();
    }
    const closed = await close(ticket!.id, '2路灯泡烧坏，已更换，自检通过');
    expect(closed).toMatchObject({ status: 200, body: { closedBy: 'tech-li' } });
    const summary = await runCli(['gateway', 'tickets', 'summary', '--data-dir', join(dir, 'gw')]);
    expect(summary.stdout).toMatch(
      /梁水镇 +team team-liangshui: opened 1, closed 1, open at end of day 0 \(lamp_fault×1\)/,
    );
    expect(existsSync(join(dir, 'box', 'outbox.db'))).toBe(true);
  });

  it('commissions offline from answers typed at the prompts, and the signed file registers the box later', async () => {
    const out = join(dir, 'offline', 'edge.yaml');
    rmSync(join(dir, 'offline'), { recursive: true, force: true });
    mkdirSync(join(dir, 'offline'));
    // id, township, village, crossing, road, position, donor; then the hardware --light did not name:
    // speaker (none), sensor (none), camera (a folder of frames).
    const frames = join(dir, 'offline', 'frames');
    mkdirSync(frames);
    const answers = `${['lc-liangshui-0008', '梁水镇', '王屯', '王屯村口', 'X012', '36.4601,115.9911', '', '', '', `dir:${frames}`].join('\n')}\n`;
    const r = await runCli(
      [
        'commission',
        '--interactive',
        '--offline',
        '--light',
        hw.endpoints.light!,
        '--gateway',
        'mqtt://10.0.0.1:1883',
        '--token',
        token,
        '--technician',
        'tech-li',
        '--out',
        out,
      ],
      { input: answers, timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Device id (e.g. lc-liangshui-0007): ');
    expect(r.stdout).toMatch(/position {2}36\.460100, 115\.991100 \(typed\)/);
    expect(r.stdout).toContain('Speaker (MP3 module), e.g. mp3:/dev/ttyUSB1 (blank = none): ');
    expect(r.stdout).not.toContain('Light controller');
    // A camera given: the box recognises on its frames.
    expect(readFileSync(out, 'utf8')).toMatch(/^vision:\n {2}everyMs: 1000$/m);
    expect(readFileSync(out, 'utf8')).toContain(`dir: ${frames}`);
    const file = join(dir, 'offline', 'lc-liangshui-0008.registration.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      signedBy: 'tech-li',
      registration: { id: 'lc-liangshui-0008', village: '王屯' },
    });
    expect(await gw.services.devices.registry.get('lc-liangshui-0008')).toBeUndefined();

    const up = await runCli(['commission', 'upload', file, '--api', api, '--token', token]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('registered lc-liangshui-0008 (signed by tech-li)');
    expect(await gw.services.devices.registry.get('lc-liangshui-0008')).toMatchObject({
      village: '王屯',
      lat: 36.4601,
    });
  });

  it('refuses, before asking anything, what could not be registered, and a box that can warn nobody', async () => {
    const base = ['commission', '--no-interactive', '--id', 'lc-liangshui-0009', '--out', join(dir, 'refused.yaml')];
    const unsigned = await runCli([...base, '--offline', '--token', token, '--light', 'modbus:/dev/null']);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(
      /offline \(--offline\): the registration file is signed with your token; give --technician/,
    );
    const mute = await runCli([
      ...base,
      '--offline',
      '--token',
      token,
      '--technician',
      'tech-li',
      '--sensor',
      'firmata:/dev/null?pin=2',
    ]);
    expect(mute.code).toBe(1);
    expect(mute.stderr).toMatch(/no light and no speaker, so it cannot warn anyone/);
    // An update key that is not one: the private key by mistake.
    const wrongKey = join(dir, 'ota-update.key');
    writeFileSync(wrongKey, generateUpdateKeys().privateKeyPem, { mode: 0o600 });
    const keyed = await runCli([
      ...base,
      '--offline',
      '--token',
      token,
      '--technician',
      'tech-li',
      '--light',
      'modbus:/dev/null',
      '--ota-key',
      wrongKey,
    ]);
    expect(keyed.code).toBe(1);
    expect(keyed.stderr).toMatch(/--ota-key .*ota-update\.key: not a public key/);
    expect(existsSync(join(dir, 'refused.yaml'))).toBe(false);
    expect(existsSync(join(dir, 'refused.yaml'))).toBe(false);
  });
});
