import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUpdateKeys, type OtaStatusMessage, topics } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { OtaCentre } from '../testing/ota-centre.ts';
import { runCli } from '../testing/run-cli.ts';
import { ServiceSupervisor } from '../testing/service-supervisor.ts';
import { until } from '../testing/until.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../vision/tiny-yolo.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOX = 'lc-parts-0001';
const BOX_PASSWORD = 'parts-box-secret';

/**
 * A box's models and the county's config template, updated as its agent is: packed with
 * `roadwarden pack`, signed with `gateway ota sign`, sent over MQTT, checked by the box against its
 * own edge.yaml, tried in a trial run and kept — or refused, or rolled back — by the box itself.
 */
describe('a box takes new models and a new config template over the air, and refuses or rolls back bad ones', {
  timeout: 300_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-ota-parts-'));
  const opt = join(dir, 'opt');
  const data = join(dir, 'edge-data');
  const served = join(dir, 'served');
  const keys = generateUpdateKeys();
  let sim: HardwareSimulator;
  let box: ServiceSupervisor;
  let centre: OtaCentre;
  const births = () => centre.births;

  /** `roadwarden pack <kind> <src>` then `gateway ota sign`: what a county does. */
  async function bundle(kind: 'models' | 'config', src: string, version: string) {
    const packed = await runCli(['pack', kind, src, '--version', version, '--out', served]);
    expect(packed.stderr).toBe('');
    expect(packed.code).toBe(0);
    const file = join(served, `roadwarden-${kind}-${version}.tar.gz`);
    const signed = await runCli(['gateway', 'ota', 'sign', file, '--key', join(dir, 'ota-update.key')]);
    expect(signed.code, signed.stderr).toBe(0);
    return {
      name: basename(file, '.tar.gz'),
      signed: JSON.parse(readFileSync(`${file}.sig.json`, 'utf8')),
      url: centre.url(basename(file)),
    };
  }

  const update = (b: { signed: unknown; url: string }, rollout: string, ends: OtaStatusMessage['state'][]) =>
    centre.update(b, rollout, ends, 120_000);

  /** A models folder: a YOLO-shaped detector and its models.yaml, the file's SHA-256 in it. */
  function modelsFolder(name: string, onnx: Buffer): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'detector.onnx'), onnx);
    writeFileSync(
      join(d, 'models.yaml'),
      `models:
  - name: ${name}
    version: "1"
    task: objects
    file: detector.onnx
    sha256: ${createHash('sha256').update(onnx).digest('hex')}
    input: { width: 64, height: 64 }
    decoder: yolov8
    classes: [${TINY_YOLO_CLASSES.join(', ')}]
`,
    );
    return d;
  }

  const part = (kind: string) => {
    const c = join(data, 'ota', kind, 'current');
    return existsSync(c) ? basename(realpathSync(c)) : undefined;
  };

  beforeAll(async () => {
    writeFileSync(join(dir, 'ota-update.key'), keys.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'ota-update.pub'), keys.publicKeyPem);
    // The box runs from this checkout: parts need no release layout (the agent's own updates do).
    mkdirSync(opt);
    symlinkSync(ROOT, join(opt, 'current'));
    mkdirSync(served);
    centre = await OtaCentre.start({
      box: BOX,
      password: BOX_PASSWORD,
      served,
      topics: [topics.event(BOX, 'presence')],
    });

    const frames = join(dir, 'frames');
    mkdirSync(frames);
    const road = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#777' } })
      .jpeg()
      .toBuffer();
    writeFileSync(join(frames, 'road.jpg'), road);
    sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), speaker: false, camera: { dir: frames } });
    await sim.start();
    writeFileSync(
      join(dir, 'edge.yaml'),
      `device: { id: ${BOX} }
gateway: { url: "mqtt://127.0.0.1:${centre.broker.port}", username: ${BOX}, password: "\${RW_DEVICE_PASSWORD}" }
hardware:
  light: { type: modbus, port: ${sim.ttys.light}, channels: 4 }
  sensors: [{ name: approach, type: firmata, port: ${sim.ttys.sensor}, pin: 2, debounceMs: 10 }]
  camera: { type: http, url: "${sim.endpoints.camera}" }
vision: { everyMs: 5000, cargoRegion: [[0, 0], [640, 0], [640, 360]] }
ota: { publicKey: ${join(dir, 'ota-update.pub')}, trialS: 20 }
telemetry: { intervalS: 3600 }
dataDir: ${data}
`,
    );
    box = new ServiceSupervisor(opt, ['edge', '--config', join(dir, 'edge.yaml')], {
      env: { RW_DEVICE_PASSWORD: BOX_PASSWORD },
    });
    box.start();
    await until(() => births().length === 1, 60_000, 'the box online');
  }, 180_000);

  afterAll(async () => {
    await box?.stop();
    await centre?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a template that does not fit this box before anything changes; takes one that does, whose rule then warns', async () => {
    // The box has no sensor "radar": the template is refused with the key that is wrong, no restart.
    writeFileSync(
      join(dir, 'radar.yaml'),
      'rules:\n  - name: radar_rule\n    trigger: { sensor: radar }\n    light: { mode: flash, durationS: 1 }\n',
    );
    const radar = await bundle('config', join(dir, 'radar.yaml'), '1-radar');
    let r = await update(radar, 'radar', ['failed', 'healthy']);
    expect(r.states.map((m) => m.state)).toEqual(['downloading', 'failed']);
    expect(r.states.at(-1)!.reason).toMatch(/rules\.0 \(radar_rule\)\.trigger\.sensor: no sensor named "radar"/);
    expect(await centre.result(r.id)).toMatchObject({ ok: false, code: 'invalid_content' });
    expect(box.starts).toHaveLength(1);
    expect(part('config')).toBeUndefined();

    writeFileSync(
      join(dir, 'county.yaml'),
      `rules:
  - name: approach_warning
    trigger: { sensor: approach }
    light: { mode: flash, durationS: 1 }
    cooldownS: 0
    report: { kind: presence, severity: info }
vision: { everyMs: 4000 }
`,
    );
    const county = await bundle('config', join(dir, 'county.yaml'), '2');
    r = await update(county, 'county', ['healthy', 'rolled_back', 'failed']);
    expect(r.states.map((m) => m.state)).toEqual(['downloading', 'installed', 'healthy']);
    expect(part('config')).toBe('roadwarden-config-2');
    await until(
      () => births().at(-1)?.parts?.config === 'roadwarden-config-2',
      60_000,
      'the box back with the template',
    );
    // The template's rule is in force on the box: a vehicle at its own sensor is reported.
    await sim.control('sensor on');
    await until(() => centre.seen.length > 0, 20_000, 'the templated rule reporting');
    await sim.control('sensor off');
    const check = await runCli(['edge', '--config', join(dir, 'edge.yaml'), '--check-config'], {
      env: { RW_DEVICE_PASSWORD: BOX_PASSWORD },
    });
    expect(check.stdout).toMatch(/1 rules, 0 schedules\) with roadwarden-config-2/);
  });

  it('tries new models in a trial run: models that do not load are rolled back, good ones kept and used', async () => {
    const starts = box.starts.length;
    // Bytes that are no ONNX model, with their true SHA-256: they pass every check but loading.
    const broken = await bundle('models', modelsFolder('broken-detector', Buffer.alloc(4096, 7)), '1-broken');
    let r = await update(broken, 'broken-models', ['healthy', 'rolled_back', 'failed']);
    expect(r.states.map((m) => m.state)).toEqual(['downloading', 'installed', 'rolled_back']);
    expect(r.states.at(-1)!.reason).toMatch(/^vision offline \(/);
    expect(part('models')).toBeUndefined();
    expect(readdirSync(join(data, 'ota', 'models', 'releases'))).toEqual([]);
    await until(() => box.starts.length === starts + 1, 20_000, 'the box restarted on what it had');

    const good = await bundle('models', modelsFolder('county-detector', tinyYoloModel('yolov8')), '2');
    r = await update(good, 'good-models', ['healthy', 'rolled_back', 'failed']);
    expect(r.states.map((m) => m.state)).toEqual(['downloading', 'installed', 'healthy']);
    expect(part('models')).toBe('roadwarden-models-2');
    await until(
      () => births().at(-1)?.parts?.models === 'roadwarden-models-2',
      60_000,
      'the box back on the new models',
    );
    expect(births().at(-1)!.parts).toEqual({ models: 'roadwarden-models-2', config: 'roadwarden-config-2' });
    expect(box.journal()).toMatch(/"models":"roadwarden-models-2"/);
  });
});
