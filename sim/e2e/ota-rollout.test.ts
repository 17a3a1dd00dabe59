import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../testing/free-ports.ts';
import { addDevices, type GatewayProcess, gatewayArgs, spawnGateway } from '../testing/gateway-process.ts';
import { stopProcess } from '../testing/process-start.ts';
import { crashAtStart, releaseVariant, unpackedRelease } from '../testing/release-variants.ts';
import { runCli } from '../testing/run-cli.ts';
import { ServiceSupervisor } from '../testing/service-supervisor.ts';
import { until } from '../testing/until.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOXES = 20;
const BASE = '0.2.0-rollout.base';
const ids = Array.from({ length: BOXES }, (_, i) => `lc-fleet-${String(i + 1).padStart(4, '0')}`);

interface View {
  id: string;
  state: string;
  haltedReason: string | null;
  counts: Record<string, number>;
  targets: Array<{ deviceId: string; stage: 'canary' | 'rest'; state: string; reason: string | null }>;
}

/**
 * A county's fleet updated from the centre over the real paths: the gateway (its CLI and API) and
 * 20 installed boxes, each in its own releases/ + current layout under a systemd stand-in.
 */
describe(`a rollout to ${BOXES} boxes: the canary share first, then all; a broken bundle stops at the canaries, which roll back`, {
  timeout: 600_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-ota-fleet-'));
  const keys = join(dir, 'keys');
  const data = join(dir, 'gateway-data');
  const config = join(dir, 'gateway.yaml');
  let gw: GatewayProcess;
  let token: string;
  let src: string;
  const boxes: ServiceSupervisor[] = [];
  const cli = (args: string[]) =>
    runCli(['gateway', ...args, '--config', config, '--data-dir', data], { timeoutMs: 120_000 });

  const api = async <T>(path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, json: (await r.json()) as T };
  };
  const firmware = async () =>
    new Map(
      (await api<Array<{ id: string; state: string; firmware: string | null }>>('/api/v1/devices')).json.map((d) => [
        d.id,
        d.state === 'online' ? d.firmware : 'offline',
      ]),
    );

  /** Sign with the CLI, publish with the CLI, roll out with the API: as a county admin does. */
  async function rollOut(version: string, patch?: (release: string) => void): Promise<View> {
    const { file, name } = await releaseVariant(src, join(dir, 'bundles'), version, patch);
    const signed = await runCli(['gateway', 'ota', 'sign', file, '--key', join(keys, 'ota-update.key')]);
    expect(signed.code, signed.stderr).toBe(0);
    const published = await cli(['ota', 'publish', file]);
    expect(published.stdout, published.stderr).toMatch(new RegExp(`${name}: published`));
    const r = await api<View>('/api/v1/ota/rollouts', { bundle: name, canaryPercent: 10 });
    expect(r.status).toBe(201);
    return r.json;
  }

  /** Polls the rollout until it ends, checking at each look that no box past the canaries moved early. */
  async function follow(id: string, until_: (v: View) => boolean): Promise<View> {
    const end = Date.now() + 300_000;
    for (;;) {
      const v = (await api<View>(`/api/v1/ota/rollouts/${id}`)).json;
      const canaries = v.targets.filter((t) => t.stage === 'canary');
      const early = v.targets.filter((t) => t.stage === 'rest' && t.state !== 'waiting');
      if (early.length && !canaries.every((t) => t.state === 'healthy'))
        throw new Error(`boxes past the canaries moved before every canary was healthy: ${JSON.stringify(v.targets)}`);
      if (until_(v)) return v;
      if (Date.now() > end) throw new Error(`rollout ${id} still ${v.state}: ${JSON.stringify(v.counts)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    src = await unpackedRelease(dir, BASE);
    const made = await runCli(['gateway', 'ota', 'keygen', '--out', keys]);
    expect(made.code, made.stderr).toBe(0);
    const [mqttPort, httpPort] = await freePorts(2);
    writeFileSync(config, `ota: { publicKey: ${join(keys, 'ota-update.pub')}, perMinute: 600, timeoutS: 300 }\n`);
    const passwords = ids.map((id) => ({ id, password: `${id}-secret` }));
    await addDevices(data, passwords);
    token = (await cli(['token', 'add', '--name', 'county-admin', '--role', 'admin'])).stdout
      .trim()
      .split(/\s+/)
      .at(-1)!;
    gw = await spawnGateway(gatewayArgs(config, mqttPort!, httpPort!, data));

    for (const { id, password } of passwords) {
      // Installed as docs/county/install.md says; packages linked from this checkout (install.test.ts runs npm ci).
      const opt = join(dir, 'boxes', id);
      const base = join(opt, 'releases', `roadwarden-edge-${BASE}`);
      mkdirSync(join(opt, 'releases'), { recursive: true });
      cpSync(src, base, { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'));
      symlinkSync(`releases/roadwarden-edge-${BASE}`, join(opt, 'current'));
      const yaml = join(opt, 'edge.yaml');
      writeFileSync(
        yaml,
        `device: { id: ${id} }
gateway: { url: "mqtt://127.0.0.1:${mqttPort}", username: ${id}, password: "\${RW_DEVICE_PASSWORD}" }
hardware: {}
ota: { publicKey: ${join(keys, 'ota-update.pub')}, trialS: 20 }
telemetry: { intervalS: 600 }
dataDir: ${join(opt, 'data')}
`,
      );
      const box = new ServiceSupervisor(opt, ['edge', '--config', yaml], { env: { RW_DEVICE_PASSWORD: password } });
      box.start();
      boxes.push(box);
    }
    await until(
      async () => [...(await firmware()).values()].filter((f) => f === `roadwarden-edge/${BASE}`).length === BOXES,
      120_000,
      `all ${BOXES} boxes online`,
    );
  }, 400_000);

  afterAll(async () => {
    await Promise.all(boxes.map((b) => b.stop()));
    if (gw) await stopProcess(gw.proc);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a good bundle: 2 canaries first, then the other 18; every box healthy on the new version', async () => {
    const created = await rollOut('0.2.1');
    expect(created.state).toBe('canary');
    expect(created.targets.filter((t) => t.stage === 'canary')).toHaveLength(2);
    const v = await follow(created.id, (x) => x.state === 'done' || x.state === 'halted');
    expect(v.state).toBe('done');
    expect(v.counts).toEqual({ healthy: BOXES });
    await until(
      async () => [...(await firmware()).values()].every((f) => f === 'roadwarden-edge/0.2.1'),
      60_000,
      'every box online on 0.2.1',
    );
    const status = await cli(['ota', 'status', created.id]);
    expect(status.stdout).toMatch(new RegExp(`rollout ${created.id}: done`));
    expect(status.stdout.match(/\thealthy\t/g)).toHaveLength(BOXES);
  });

  it('a bundle that crashes: the canaries roll back by themselves, the rollout halts, no other box takes it', async () => {
    const created = await rollOut('0.2.2-broken', crashAtStart);
    const canaries = created.targets.filter((t) => t.stage === 'canary').map((t) => t.deviceId);
    const v = await follow(created.id, (x) => x.state === 'halted' || x.state === 'done');
    expect(v.state).toBe('halted');
    expect(v.haltedReason).toMatch(/canary lc-fleet-\d+ rolled_back: .*broken on purpose/);
    // The gateway's view: the canaries that took it rolled back (both, once the second has said so), nobody else moved.
    const end = await follow(created.id, (x) => x.targets.filter((t) => t.state === 'rolled_back').length === 2);
    for (const t of end.targets)
      expect(t.state, t.deviceId).toBe(canaries.includes(t.deviceId) ? 'rolled_back' : 'waiting');
    await until(
      async () => [...(await firmware()).values()].every((f) => f === 'roadwarden-edge/0.2.1'),
      60_000,
      'every box back online on 0.2.1',
    );
    for (const id of canaries) {
      const opt = join(dir, 'boxes', id);
      expect(realpathSync(join(opt, 'current'))).toBe(join(opt, 'releases', 'roadwarden-edge-0.2.1'));
      expect(readdirSync(join(opt, 'releases'))).not.toContain('roadwarden-edge-0.2.2-broken');
    }
  });
});
