import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RolloutView } from '../../protocols/index.ts';
import { freePorts } from './free-ports.ts';
import { addDevices, type GatewayProcess, gatewayArgs, spawnGateway } from './gateway-process.ts';
import { stopProcess } from './process-start.ts';
import { releaseVariant, unpackedRelease } from './release-variants.ts';
import { runCli } from './run-cli.ts';
import { ServiceSupervisor } from './service-supervisor.ts';
import { until } from './until.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A county for agent updates over the real paths: the gateway as its own process (CLI and API), an
 * update key, and `boxes` installed boxes, each in its own releases/ + current layout under a
 * systemd stand-in, all online on `base`. Packages are linked from this checkout.
 */
export class OtaFleet {
  readonly ids: string[];
  readonly keys: string;
  readonly data: string;
  readonly config: string;
  readonly supervisors: ServiceSupervisor[] = [];
  gw!: GatewayProcess;
  private token = '';
  private src = '';

  constructor(
    readonly dir: string,
    readonly boxes: number,
    readonly base: string,
  ) {
    this.ids = Array.from({ length: boxes }, (_, i) => `lc-fleet-${String(i + 1).padStart(4, '0')}`);
    this.keys = join(dir, 'keys');
    this.data = join(dir, 'gateway-data');
    this.config = join(dir, 'gateway.yaml');
  }

  cli(args: string[]) {
    return runCli(['gateway', ...args, '--config', this.config, '--data-dir', this.data], { timeoutMs: 120_000 });
  }

  async start(onProgress?: (m: string) => void): Promise<void> {
    onProgress?.('building the base release');
    this.src = await unpackedRelease(this.dir, this.base);
    const made = await runCli(['gateway', 'ota', 'keygen', '--out', this.keys]);
    if (made.code !== 0) throw new Error(`ota keygen: ${made.stderr}`);
    const [mqttPort, httpPort] = await freePorts(2);
    writeFileSync(
      this.config,
      `ota: { publicKey: ${join(this.keys, 'ota-update.pub')}, perMinute: 600, timeoutS: 300 }\n`,
    );
    const passwords = this.ids.map((id) => ({ id, password: `${id}-secret` }));
    onProgress?.(`${this.boxes} device credentials`);
    await addDevices(this.data, passwords);
    this.token = (await this.cli(['token', 'add', '--name', 'county-admin', '--role', 'admin'])).stdout
      .trim()
      .split(/\s+/)
      .at(-1)!;
    this.gw = await spawnGateway(gatewayArgs(this.config, mqttPort!, httpPort!, this.data));
    onProgress?.(`installing and starting ${this.boxes} boxes`);
    for (const { id, password } of passwords) {
      const opt = join(this.dir, 'boxes', id);
      const release = join(opt, 'releases', `roadwarden-edge-${this.base}`);
      mkdirSync(join(opt, 'releases'), { recursive: true });
      cpSync(this.src, release, { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(release, 'node_modules'));
      symlinkSync(`releases/roadwarden-edge-${this.base}`, join(opt, 'current'));
      const yaml = join(opt, 'edge.yaml');
      writeFileSync(
        yaml,
        `device: { id: ${id} }
gateway: { url: "mqtt://127.0.0.1:${mqttPort}", username: ${id}, password: "\${RW_DEVICE_PASSWORD}" }
hardware: {}
ota: { publicKey: ${join(this.keys, 'ota-update.pub')}, trialS: 20 }
telemetry: { intervalS: 600 }
dataDir: ${join(opt, 'data')}
`,
      );
      const box = new ServiceSupervisor(opt, ['edge', '--config', yaml], { env: { RW_DEVICE_PASSWORD: password } });
      box.start();
      this.supervisors.push(box);
    }
    await until(
      async () =>
        [...(await this.firmware()).values()].filter((f) => f === `roadwarden-edge/${this.base}`).length === this.boxes,
      Math.max(120_000, this.boxes * 3000),
      `all ${this.boxes} boxes online`,
    );
  }

  async api<T>(path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const r = await fetch(`http://127.0.0.1:${this.gw.httpPort}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, json: (await r.json()) as T };
  }

  /** Each box's firmware as the gateway has it ('offline' for a box that is not online). */
  async firmware(): Promise<Map<string, string | null>> {
    const list = (await this.api<Array<{ id: string; state: string; firmware: string | null }>>('/api/v1/devices'))
      .json;
    return new Map(list.map((d) => [d.id, d.state === 'online' ? d.firmware : 'offline']));
  }

  /** This build under `version` (changed by `patch`), signed and published with the CLI, rolled out with the API. */
  async rollOut(version: string, patch?: (release: string) => void, canaryPercent = 10): Promise<RolloutView> {
    const { file, name } = await releaseVariant(this.src, join(this.dir, 'bundles'), version, patch);
    const signed = await runCli(['gateway', 'ota', 'sign', file, '--key', join(this.keys, 'ota-update.key')]);
    if (signed.code !== 0) throw new Error(`ota sign: ${signed.stderr}`);
    const published = await this.cli(['ota', 'publish', file]);
    if (!new RegExp(`${name}: published`).test(published.stdout)) throw new Error(`ota publish: ${published.stderr}`);
    const r = await this.api<RolloutView>('/api/v1/ota/rollouts', { bundle: name, canaryPercent });
    if (r.status !== 201) throw new Error(`POST /api/v1/ota/rollouts: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  /**
   * The rollout, looked at every 250 ms until `done` says so; at each look no box past the canaries
   * may have moved before every canary was healthy.
   */
  async follow(id: string, done: (v: RolloutView) => boolean, ms = 300_000): Promise<RolloutView> {
    const end = Date.now() + ms;
    for (;;) {
      const v = (await this.api<RolloutView>(`/api/v1/ota/rollouts/${id}`)).json;
      const canaries = v.targets.filter((t) => t.stage === 'canary');
      const early = v.targets.filter((t) => t.stage === 'rest' && t.state !== 'waiting');
      if (early.length && !canaries.every((t) => t.state === 'healthy'))
        throw new Error(`boxes past the canaries moved before every canary was healthy: ${JSON.stringify(v.targets)}`);
      if (done(v)) return v;
      if (Date.now() > end) throw new Error(`rollout ${id} still ${v.state}: ${JSON.stringify(v.counts)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.supervisors.map((b) => b.stop()));
    if (this.gw) await stopProcess(this.gw.proc);
  }
}
