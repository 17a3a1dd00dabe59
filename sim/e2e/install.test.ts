import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HardwareSimulator } from '../hw-sim.ts';
import { freePorts } from '../testing/free-ports.ts';
import { addDevices, gatewayArgs } from '../testing/gateway-process.ts';
import { type StartedProcess, startProcess, stopProcess } from '../testing/process-start.ts';
import { type InstalledRelease, installRelease } from '../testing/release-install.ts';
import { runCli } from '../testing/run-cli.ts';
import { until } from '../testing/until.ts';

const PKG = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const BOX = 'lc-installed-0001';
const BOX_PASSWORD = 'installed-box-secret';

/** Every file under `dir` (node_modules left out) whose name ends so. */
function filesEnding(dir: string, ends: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => !f.split('/').includes('node_modules') && f.endsWith(ends) && !f.endsWith('.d.ts'),
  );
}

// Building both bundles and two `npm ci --omit=dev` (native modules are compiled where their
// prebuilt binaries cannot be downloaded) take minutes.
describe('a release installed with npm ci --omit=dev into a clean folder', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-install-'));
  let gateway: InstalledRelease;
  let edge: InstalledRelease;
  const started: StartedProcess[] = [];
  let sim: HardwareSimulator | undefined;

  beforeAll(async () => {
    [gateway, edge] = await Promise.all([
      installRelease('gateway', join(dir, 'gateway')),
      installRelease('edge', join(dir, 'edge')),
    ]);
  }, 900_000);

  afterAll(async () => {
    for (const s of started) await stopProcess(s.proc, 5000);
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds compiled JavaScript and no development tool', async () => {
    for (const r of [gateway, edge]) {
      expect(filesEnding(r.root, '.ts'), r.target).toEqual([]);
      expect(existsSync(join(r.root, 'gateway', 'cli.js')), r.target).toBe(true);
      // Type packages hold no code, and some dependencies bring @types/node along.
      for (const dev of Object.keys(PKG.devDependencies).filter((d) => !d.startsWith('@types/')))
        expect(existsSync(join(r.root, 'node_modules', dev)), `${r.target}: ${dev}`).toBe(false);
      const release = JSON.parse(readFileSync(join(r.root, 'RELEASE.json'), 'utf8'));
      expect(release).toMatchObject({ name: 'roadwarden', target: r.target, version: PKG.version });
      const v = await runCli(['--version'], { bin: r.bin });
      expect(v.stdout.trim()).toBe(PKG.version);
    }
    // The gateway's dashboard comes built; the box has none.
    expect(existsSync(join(gateway.root, 'gateway', 'dashboard', 'site', 'index.html'))).toBe(true);
    expect(existsSync(join(edge.root, 'gateway', 'dashboard', 'site'))).toBe(false);
  });

  it('runs a gateway and a box from the installs: the box connects, its alarm opens a case, both stop cleanly', async () => {
    const [mqttPort, httpPort] = await freePorts(2);
    const gwData = join(dir, 'gateway-data');
    await addDevices(gwData, [{ id: BOX, password: BOX_PASSWORD }], gateway.bin);
    const token = (
      await runCli(['gateway', 'token', 'add', '--name', 'installer', '--role', 'admin', '--data-dir', gwData], {
        bin: gateway.bin,
      })
    ).stdout
      .trim()
      .split(/\s+/)
      .at(-1)!;
    const gw = await startProcess(
      gateway.bin,
      ['--log-level', 'warn', 'gateway', ...gatewayArgs(undefined, mqttPort!, httpPort!, gwData)],
      /HTTP API on port \d+/,
      { cwd: gateway.root },
    );
    started.push(gw);
    const api = async <T>(path: string): Promise<T> => {
      const r = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status, path).toBe(200);
      return (await r.json()) as T;
    };
    const page = await fetch(`http://127.0.0.1:${httpPort}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);

    sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), camera: false, speaker: false });
    await sim.start();
    const config = join(dir, 'edge.yaml');
    writeFileSync(
      config,
      `device: { id: ${BOX} }
gateway: { url: "mqtt://127.0.0.1:${mqttPort}", username: ${BOX}, password: "\${RW_DEVICE_PASSWORD}" }
hardware:
  light: { type: modbus, port: ${sim.ttys.light}, channels: 4 }
  sensors: [{ name: approach, type: firmata, port: ${sim.ttys.sensor}, pin: 2, debounceMs: 10 }]
rules:
  - name: passengers_in_the_bed
    trigger: { sensor: approach }
    light: { mode: flash, durationS: 1 }
    report: { kind: tricycle_passengers, severity: alarm }
dataDir: ${join(dir, 'edge-data')}
`,
    );
    const box = await startProcess(edge.bin, ['edge', '--config', config], /edge agent started/, {
      cwd: edge.root,
      env: { RW_DEVICE_PASSWORD: BOX_PASSWORD },
    });
    started.push(box);
    await until(
      async () =>
        (await api<Array<{ id: string; state: string }>>('/api/v1/devices')).some(
          (d) => d.id === BOX && d.state === 'online',
        ),
      20_000,
      'the installed box online at the installed gateway',
    );
    await sim.control('sensor on');
    await until(
      async () =>
        (await api<{ items: Array<{ deviceId: string; kind: string }> }>('/api/v1/cases')).items.some(
          (c) => c.deviceId === BOX,
        ),
      20_000,
      'a case for the box’s alarm',
    );
    expect(await stopProcess(box.proc)).toBe(0);
    expect(await stopProcess(gw.proc)).toBe(0);
  });
});
