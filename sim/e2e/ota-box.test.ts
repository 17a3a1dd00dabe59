import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUpdateKeys, type OtaStatusMessage, type SignedManifest, signManifest } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { OtaCentre } from '../testing/ota-centre.ts';
import { crashAtStart, neverConnects, releaseVariant, unpackedRelease } from '../testing/release-variants.ts';
import { ServiceSupervisor } from '../testing/service-supervisor.ts';
import { until } from '../testing/until.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOX = 'lc-ota-0001';
const BOX_PASSWORD = 'ota-box-secret';
const BASE = '0.2.0-ota.base';

interface Bundle {
  name: string;
  signed: SignedManifest;
  url: string;
}

/**
 * One box, installed as docs/county/install.md says (releases/ + current), run by a stand-in for
 * systemd (Restart=always), updated over MQTT as the gateway will: signed bundles from an HTTP
 * server, some good, some broken on purpose.
 */
describe('a box updates its agent: signed, tried beside the running version, kept or rolled back by itself', {
  timeout: 240_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-ota-box-'));
  const opt = join(dir, 'opt');
  const keys = generateUpdateKeys();
  let src: string;
  let sim: HardwareSimulator;
  let box: ServiceSupervisor;
  let centre: OtaCentre;
  const firmware = () => centre.births.map((b) => b.firmware);

  /** A bundle of this build under another version, changed by `patch`, signed with `key`. */
  async function bundle(version: string, patch?: (release: string) => void, key = keys.privateKeyPem): Promise<Bundle> {
    const { name, file } = await releaseVariant(src, join(dir, 'served'), version, patch);
    const bytes = readFileSync(file);
    const manifest = {
      kind: 'agent' as const,
      name,
      version,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
    };
    return { name, signed: signManifest(manifest, key), url: centre.url(`${name}.tar.gz`) };
  }

  const update = (b: Pick<Bundle, 'signed' | 'url'>, rollout: string, ends: OtaStatusMessage['state'][]) =>
    centre.update(b, rollout, ends);

  const running = () => realpathSync(join(opt, 'current'));

  beforeAll(async () => {
    // The release as a box holds it: built by scripts/release.ts, unpacked under releases/. Its
    // packages are linked from this checkout (sim/e2e/install.test.ts covers npm ci --omit=dev).
    src = await unpackedRelease(dir, BASE);
    mkdirSync(join(opt, 'releases'), { recursive: true });
    const base = join(opt, 'releases', `roadwarden-edge-${BASE}`);
    cpSync(src, base, { recursive: true });
    await run('cp', ['-al', join(ROOT, 'node_modules'), join(base, 'node_modules')]);
    symlinkSync(`releases/roadwarden-edge-${BASE}`, join(opt, 'current'));
    writeFileSync(join(dir, 'ota-public.pem'), keys.publicKeyPem);

    mkdirSync(join(dir, 'served'), { recursive: true });
    centre = await OtaCentre.start({ box: BOX, password: BOX_PASSWORD, served: join(dir, 'served') });

    sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), camera: false, speaker: false });
    await sim.start();
    const config = join(dir, 'edge.yaml');
    writeFileSync(
      config,
      `device: { id: ${BOX} }
gateway: { url: "mqtt://127.0.0.1:${centre.broker.port}", username: ${BOX}, password: "\${RW_DEVICE_PASSWORD}" }
hardware:
  light: { type: modbus, port: ${sim.ttys.light}, channels: 4 }
ota: { publicKey: ${join(dir, 'ota-public.pem')}, trialS: 8 }
dataDir: ${join(dir, 'edge-data')}
`,
    );
    box = new ServiceSupervisor(opt, ['edge', '--config', config], { env: { RW_DEVICE_PASSWORD: BOX_PASSWORD } });
    box.start();
    await until(() => firmware().includes(`roadwarden-edge/${BASE}`), 30_000, 'the installed box online');
  }, 180_000);

  afterAll(async () => {
    await box?.stop();
    await centre?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bundle signed with another key, and bytes other than the signed ones, and keeps running', async () => {
    const good = await bundle('0.2.1');
    const forged = await bundle('0.2.1-forged', undefined, generateUpdateKeys().privateKeyPem);
    let r = await update(forged, 'forged', ['failed']);
    expect(r.states.map((m) => m.state)).toEqual(['failed']);
    expect(r.states[0]!.reason).toMatch(/signature/);
    expect(await centre.result(r.id)).toMatchObject({ ok: false, code: 'bad_signature' });
    // The signed manifest of the good bundle, with another file behind its URL.
    const other = await bundle('0.2.1-other');
    r = await update({ signed: good.signed, url: other.url }, 'swapped', ['failed']);
    expect(r.states.map((m) => m.state)).toEqual(['downloading', 'failed']);
    // Longer than signed (cut off at the signed size) or as long with other bytes.
    expect(await centre.result(r.id)).toMatchObject({
      ok: false,
      code: expect.stringMatching(/^(too_large|hash_mismatch)$/),
    });
    expect(box.starts).toHaveLength(1);
    expect(running()).toBe(join(opt, 'releases', `roadwarden-edge-${BASE}`));
    expect(existsSync(join(opt, 'releases', good.name))).toBe(false);
  });

  it('installs a good bundle beside the running one, tries it, keeps it, and runs it after the restart', async () => {
    const good = await bundle('0.2.1');
    const r = await update(good, 'good', ['healthy', 'rolled_back']);
    expect(r.states.map((m) => m.state)).toEqual(['downloading', 'installed', 'healthy']);
    expect(r.states.at(-1)!.firmware).toBe('roadwarden-edge/0.2.1');
    expect(await centre.result(r.id)).toMatchObject({ ok: true, data: { state: 'installed' } });
    expect(running()).toBe(join(opt, 'releases', good.name));
    expect(box.starts.at(-1)!.release).toBe(join(opt, 'releases', good.name));
    await until(() => firmware().at(-1) === 'roadwarden-edge/0.2.1', 20_000, 'the box online on 0.2.1');
    // Sent again (a rollout resumed): nothing to do, and it says it is there.
    const again = await update(good, 'good-again', ['healthy', 'failed']);
    expect(again.states.map((m) => m.state)).toEqual(['healthy']);
  });

  it('a bundle that crashes at start is rolled back by the box itself, with the crash as the reason', async () => {
    const before = box.starts.length;
    const broken = await bundle('0.2.2-crashes', crashAtStart);
    const r = await update(broken, 'crashes', ['healthy', 'rolled_back']);
    expect(r.states.map((m) => m.state)).toEqual(['downloading', 'installed', 'rolled_back']);
    expect(r.states.at(-1)!.reason).toMatch(/broken on purpose/);
    expect(r.states.at(-1)!.firmware).toBe('roadwarden-edge/0.2.1');
    expect(running()).toBe(join(opt, 'releases', 'roadwarden-edge-0.2.1'));
    expect(existsSync(join(opt, 'releases', broken.name))).toBe(false);
    expect(box.starts.length).toBe(before + 1);
  });

  it('a bundle that starts but never reaches the gateway is rolled back when its trial ends', async () => {
    const broken = await bundle('0.2.3-no-link', neverConnects);
    const r = await update(broken, 'no-link', ['healthy', 'rolled_back']);
    expect(r.states.map((m) => m.state)).toEqual(['downloading', 'installed', 'rolled_back']);
    expect(r.states.at(-1)!.reason).toMatch(/not connected to mqtt:\/\/127\.0\.0\.1/);
    expect(running()).toBe(join(opt, 'releases', 'roadwarden-edge-0.2.1'));
    await until(() => firmware().at(-1) === 'roadwarden-edge/0.2.1', 20_000, 'the box back online on 0.2.1');
    // And it still does what a box is for.
    const id = centre.command('set_light', { mode: 'flash', durationS: 1 });
    await until(
      () => centre.results.some((x) => x.commandId === id && x.ok),
      10_000,
      'set_light done after the rollback',
    );
  });
});
