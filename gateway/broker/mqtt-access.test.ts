import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdGenerator, encodeMessage, sha256Hex, topics } from '../../protocols/index.ts';
import { until } from '../../sim/testing/until.ts';
import { GATEWAY_USER } from '../access/credential-store.ts';
import { SYSTEM } from '../access/viewer.ts';
import { Gateway } from '../main.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/roadwarden.js', import.meta.url));
const newId = createIdGenerator();

/** mosquitto_pub / mosquitto_sub (Debian mosquitto-clients): MQTT clients nobody here wrote. */
const pub = (port: number, args: string[]) =>
  run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', ...args], {
    timeout: 10_000,
    encoding: 'buffer',
  });

/** A binary payload through mosquitto_pub's standard input (-s). */
function pubStdin(port: number, args: string[], payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', ...args, '-s']);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}`))));
    p.stdin.end(payload);
  });
}

function sub(
  port: number,
  args: string[],
): { lines: string[]; stderr: () => string; done: Promise<number | null>; kill(): void } {
  const p = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-v', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  p.stdout.on('data', (d: Buffer) => lines.push(...d.toString('utf8').split('\n').filter(Boolean)));
  p.stderr.on('data', (d: Buffer) => (err += d));
  return { lines, stderr: () => err, done: new Promise((r) => p.on('exit', r)), kill: () => p.kill() };
}

const BOXES = {
  wangtun: { id: 'box-wangtun', village: '王屯', township: '斗虎屯镇' },
  zhangzhuang: { id: 'box-zhangzhuang', village: '张庄', township: '梁水镇' },
};
const as = (user: string, password: string, clientId = user) => ['-i', clientId, '-u', user, '-P', password];

/**
 * The access policy on MQTT, attacked with mosquitto clients: nobody takes the intake's or a box's
 * session, a cadre gets only their villages' boxes, a technician no images, and account changes
 * made by another process end connections within 2 s.
 */
describe('MQTT through the one access policy (mosquitto clients as peers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-mqtt-access-'));
  let gw: Gateway;
  let port: number;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [BIN, '--log-level', 'warn', 'gateway', ...args, '--data-dir', dir], {
      timeout: 60_000,
      env: { ...process.env, ...env },
    });

  const alarm = (box: string) => {
    const ev = {
      v: 1 as const,
      id: newId(),
      deviceId: box,
      ts: new Date().toISOString(),
      kind: 'tricycle_passengers' as const,
      severity: 'alarm' as const,
      source: 'vision' as const,
      data: { vehicle: 'tricycle', riders: 3, plate: '鲁PAB123' },
    };
    return { id: ev.id, payload: encodeMessage('event', ev) };
  };

  beforeAll(async () => {
    gw = new Gateway({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      config: {
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
    for (const b of Object.values(BOXES)) {
      await gw.services.access.credentials.addDevice(b.id, `${b.id}-secret`);
      await gw.services.devices.registry.upsert({ id: b.id, village: b.village, township: b.township });
    }
    await gw.services.access.credentials.addOperator('cadre-wang', 'cadre-pass-1', 'village', { villages: ['王屯'] });
    await gw.services.access.credentials.addOperator('tech-li', 'tech-pass-1', 'technician');
    port = gw.mqttPort!;
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an operator who takes the intake's or a box's client id, and every alarm published meanwhile is stored and cased", async () => {
    const before = gw.services.broker.embedded!.stats!.authRefused;
    for (const clientId of [`${GATEWAY_USER}:intake`, GATEWAY_USER, 'roadwarden-gateway-intake', BOXES.wangtun.id]) {
      await expect(
        pub(port, [...as('tech-li', 'tech-pass-1', clientId), '-t', 'rw/v1/x/cmd/stop', '-m', '{}']),
        clientId,
      ).rejects.toMatchObject({ stderr: expect.anything() });
    }
    expect(gw.services.broker.embedded!.stats!.authRefused).toBe(before + 4);
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const a = alarm(BOXES.wangtun.id);
      sent.push(a.id);
      await pubStdin(
        port,
        [
          ...as(BOXES.wangtun.id, `${BOXES.wangtun.id}-secret`),
          '-q',
          '1',
          '-t',
          topics.event(BOXES.wangtun.id, 'tricycle_passengers'),
        ],
        a.payload,
      );
    }
    await until(
      async () => (await gw.services.responses.cases.list(SYSTEM, { limit: 100 })).length >= 20,
      10_000,
      '20 cases',
    );
    const cased = new Set((await gw.services.responses.cases.list(SYSTEM, { limit: 100 })).map((c) => c.eventId));
    expect(sent.filter((id) => !cased.has(id))).toEqual([]);
  });

  it('gives a cadre subscribed to rw/v1/# only their village’s boxes, and a technician no images and masked plates', async () => {
    const cadre = sub(port, [
      ...as('cadre-wang', 'cadre-pass-1', 'cadre-wang:all'),
      '-t',
      'rw/v1/#',
      '-t',
      'rw-county/v1/#',
      '-W',
      '4',
    ]);
    const tech = sub(port, [...as('tech-li', 'tech-pass-1', 'tech-li:all'), '-t', 'rw/v1/#', '-W', '4']);
    await new Promise((r) => setTimeout(r, 500));
    const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    for (const b of Object.values(BOXES)) {
      const creds = as(b.id, `${b.id}-secret`);
      await pubStdin(port, [...creds, '-q', '1', '-t', topics.image(b.id, sha256Hex(jpeg))], jpeg);
      await pubStdin(port, [...creds, '-q', '1', '-t', topics.event(b.id, 'tricycle_passengers')], alarm(b.id).payload);
    }
    await Promise.all([cadre.done, tech.done]);
    const topicsOf = (lines: string[]) => lines.map((l) => l.split(' ')[0]);
    // The cadre: 王屯's event, image, its case's commands and notifications; nothing of 张庄.
    expect(topicsOf(cadre.lines).some((t) => t.startsWith(`rw/v1/${BOXES.wangtun.id}/event/`))).toBe(true);
    expect(topicsOf(cadre.lines).some((t) => t.startsWith(`rw/v1/${BOXES.wangtun.id}/image/`))).toBe(true);
    expect(cadre.lines.filter((l) => l.includes(BOXES.zhangzhuang.id))).toEqual([]);
    // The technician: both boxes' events, plates masked, and no image at all.
    expect(topicsOf(tech.lines).filter((t) => t.includes('/event/')).length).toBeGreaterThanOrEqual(2);
    expect(topicsOf(tech.lines).filter((t) => t.includes('/image/'))).toEqual([]);
    expect(tech.lines.filter((l) => l.includes('/event/')).every((l) => l.includes('鲁P***23'))).toBe(true);
  });

  it('ends a removed box’s connection within 2 s and refuses it after, when the CLI removes it from another process', async () => {
    const box = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: BOXES.zhangzhuang.id,
      username: BOXES.zhangzhuang.id,
      password: `${BOXES.zhangzhuang.id}-secret`,
      reconnectPeriod: 0,
    });
    const closed = new Promise<number>((r) => box.once('close', () => r(performance.now())));
    const t0 = performance.now();
    await cli(['device', 'remove', '--id', BOXES.zhangzhuang.id]);
    expect((await closed) - t0).toBeLessThan(2000 + 3000); // the CLI itself takes a moment to start
    await expect(
      pub(port, [
        ...as(BOXES.zhangzhuang.id, `${BOXES.zhangzhuang.id}-secret`),
        '-t',
        topics.status(BOXES.zhangzhuang.id),
        '-m',
        '{}',
      ]),
    ).rejects.toBeTruthy();
    box.end(true);
  });

  it('makes a new password, a removed user and a revoked token take effect within 2 s of the change', async () => {
    await gw.services.access.credentials.addOperator('duty-zhou', 'old-password-1', 'admin');
    const session = await (
      await fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'duty-zhou', password: 'old-password-1' }),
      })
    ).headers
      .get('set-cookie')!
      .split(';')[0];
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'duty-zhou:watch',
      username: 'duty-zhou',
      password: 'old-password-1',
      reconnectPeriod: 0,
    });
    const closed = new Promise<number>((r) => watcher.once('close', () => r(performance.now())));
    const changedAt = performance.now();
    await cli(['user', 'add', '--name', 'duty-zhou', '--role', 'admin', '--password-env', 'NEW_PW'], {
      NEW_PW: 'new-password-2',
    });
    const done = performance.now();
    expect((await closed) - done).toBeLessThan(2000);
    expect(changedAt).toBeLessThan(done);
    await expect(
      pub(port, [...as('duty-zhou', 'old-password-1'), '-t', 'rw/v1/x/cmd/stop', '-m', '{}']),
    ).rejects.toBeTruthy();
    await pub(port, [...as('duty-zhou', 'new-password-2'), '-t', `rw/v1/${BOXES.wangtun.id}/cmd/stop`, '-m', '{}']);
    const me = () => fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/session`, { headers: { cookie: session } });
    expect((await me()).status).toBe(401);

    const token = await gw.services.access.tokens.issue('script-1', 'admin');
    const api = () =>
      fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } });
    expect((await api()).status).toBe(200);
    await cli(['token', 'revoke', '--name', 'script-1']);
    expect((await api()).status).toBe(401);
    expect((await cli(['token', 'list'])).stdout).not.toContain('script-1');

    const again = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'duty-zhou',
      username: 'duty-zhou',
      password: 'new-password-2',
      reconnectPeriod: 0,
    });
    let gone = false;
    again.once('close', () => (gone = true));
    await cli(['user', 'remove', '--name', 'duty-zhou']);
    await until(() => gone, 2000, 'the removed user’s connection ended');
    expect((await cli(['user', 'list'])).stdout).not.toContain('duty-zhou');
  });

  it('throttles password guessing on MQTT per name, and an unknown name costs as long as a wrong password', async () => {
    const time = async (user: string) => {
      const t = performance.now();
      await pub(port, [...as(user, 'wrong-guess'), '-t', 'x', '-m', 'x']).catch(() => undefined);
      return performance.now() - t;
    };
    const wrong = await time('tech-li');
    const unknown = await time('nobody-here');
    // Both run one scrypt; neither answers in the time of a table lookup.
    expect(Math.abs(wrong - unknown)).toBeLessThan(Math.max(wrong, unknown) * 0.8 + 30);
    for (let i = 0; i < 5; i++) await time('cadre-wang');
    const before = gw.services.broker.embedded!.stats!.authThrottled;
    await expect(
      pub(port, [...as('cadre-wang', 'cadre-pass-1', 'cadre-wang:t'), '-t', 'rw/v1/x', '-m', 'x']),
    ).rejects.toBeTruthy();
    expect(gw.services.broker.embedded!.stats!.authThrottled).toBe(before + 1);
    // A box is never locked out by someone guessing its name: its secret is not guessable.
    for (let i = 0; i < 6; i++) await time(BOXES.wangtun.id);
    await pub(port, [
      ...as(BOXES.wangtun.id, `${BOXES.wangtun.id}-secret`),
      '-t',
      topics.status(BOXES.wangtun.id),
      '-m',
      '{}',
    ]);
  });
});
