import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../main.ts';

/** What a browser on another page could make the gateway do, and what every answer tells a browser. */
describe('HTTP: security headers and the cross-origin rule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-guard-'));
  let gw: Gateway;
  let base: string;
  let cookie: string;
  let box: MqttClient;
  let received = 0;

  beforeAll(async () => {
    gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
    base = `http://127.0.0.1:${gw.httpPort}`;
    await gw.services.access.credentials.addOperator('tech-wang', 'tech-secret-1', 'technician');
    await gw.services.devices.registry.upsert({ id: 'lc-guard-001', village: '李庄', township: '斗虎屯镇' });
    await gw.services.access.credentials.addDevice('lc-guard-001', 'box-secret');
    box = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort}`, {
      clientId: 'lc-guard-001',
      username: 'lc-guard-001',
      password: 'box-secret',
    });
    box.on('message', (t) => t.endsWith('/cmd/self_test') && received++);
    await box.subscribeAsync('rw/v1/lc-guard-001/cmd/+', { qos: 1 });
    const login = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ username: 'tech-wang', password: 'tech-secret-1' }),
    });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  });
  afterAll(async () => {
    await box.endAsync();
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Self-tests the box was sent, once every command sent so far could have arrived. */
  const commandsSent = async () => {
    await new Promise((r) => setTimeout(r, 300));
    return received;
  };
  const selfTest = (headers: Record<string, string>) =>
    fetch(`${base}/api/v1/devices/lc-guard-001/self-test`, { method: 'POST', headers: { cookie, ...headers } });

  it('refuses a change from a page on another port of the same host, before anything happens', async () => {
    const before = await commandsSent();
    const other = `http://127.0.0.1:${gw.httpPort! + 1}`;
    for (const headers of <Array<Record<string, string>>>[
      { origin: other },
      { origin: 'http://localhost.evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await selfTest(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBe('cross_origin');
    }
    expect(await commandsSent()).toBe(before);
    // A log-in from another site is refused too (it would sign a victim in as the attacker).
    const login = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: other },
      body: JSON.stringify({ username: 'tech-wang', password: 'tech-secret-1' }),
    });
    expect(login.status).toBe(403);
  });

  it('lets the dashboard itself and scripts without an Origin change things', async () => {
    const before = await commandsSent();
    expect((await selfTest({ origin: base, 'sec-fetch-site': 'same-origin' })).status).toBe(202);
    expect((await selfTest({})).status).toBe(202);
    expect(await commandsSent()).toBe(before + 2);
  });

  it('sends the security headers on every answer, and no-store on personal data', async () => {
    const answers = await Promise.all(
      ['/', '/health', '/api/v1/alarms', '/api/v1/nope', '/api/v1/devices'].map(async (path) => {
        const res = await fetch(`${base}${path}`, { headers: path === '/api/v1/alarms' ? {} : { cookie } });
        return { path, status: res.status, h: res.headers };
      }),
    );
    for (const { path, h } of answers) {
      expect(h.get('x-content-type-options'), path).toBe('nosniff');
      expect(h.get('x-frame-options'), path).toBe('DENY');
      expect(h.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(h.get('referrer-policy'), path).toBe('no-referrer');
    }
    const devices = answers.find((a) => a.path === '/api/v1/devices')!;
    expect(devices.status).toBe(200);
    expect(devices.h.get('cache-control')).toBe('no-store');
    expect(answers.find((a) => a.path === '/api/v1/alarms')!.status).toBe(401);
  });
});
