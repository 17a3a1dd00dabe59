import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUpdateKeys, signManifest } from '../../protocols/index.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../../sim/vision/tiny-yolo.ts';
import { parseEdgeConfig } from '../config/load-config.ts';
import { installCandidate, type UpdateError } from './candidate-install.ts';
import { packPart } from './part-pack.ts';
import { partLayout, pruneReleases, switchCurrent } from './release-layout.ts';
import { updateTarget } from './update-target.ts';

const BOX = parseEdgeConfig(`
device: { id: lc-parts-unit }
gateway: { url: "mqtt://127.0.0.1:1883" }
hardware: { light: { type: modbus, port: /dev/ttyUSB0, channels: 4 } }
`);

/** Models and templates as a box installs them: checked before anything of theirs is in use. */
describe('installing a models or config bundle on a box', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-part-install-'));
  const data = join(dir, 'data');
  const served = join(dir, 'served');
  const keys = generateUpdateKeys();
  let server: Server;
  let port: number;

  const modelsFolder = (name: string, file = 'detector.onnx') => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    const onnx = tinyYoloModel('yolov8');
    writeFileSync(join(d, 'detector.onnx'), onnx);
    writeFileSync(
      join(d, 'models.yaml'),
      `models:\n  - name: ${name}\n    task: objects\n    file: ${file}\n    sha256: ${createHash('sha256').update(onnx).digest('hex')}\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [${TINY_YOLO_CLASSES.join(', ')}]\n`,
    );
    return d;
  };
  /** A tarball of one folder, signed: what `roadwarden pack` would make, or would refuse to. */
  const signed = (file: string, kind: 'models' | 'config') => {
    const name = basename(file, '.tar.gz');
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    const version = name.replace(/^roadwarden-(models|config)-/, '');
    return signManifest({ kind, name, version, sha256, size: statSync(file).size }, keys.privateKeyPem);
  };
  const install = (s: ReturnType<typeof signed>) =>
    installCandidate(s, `http://127.0.0.1:${port}/${s.manifest.name}.tar.gz`, {
      target: (m) => updateTarget(m.kind, { dataDir: data, box: BOX, configFile: 'edge.yaml' }),
      publicKeyPem: keys.publicKeyPem,
    });
  const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as UpdateError).code;

  beforeAll(async () => {
    mkdirSync(served);
    server = createServer((req, res) => {
      const f = join(served, basename(req.url ?? '/'));
      if (!existsSync(f)) return void res.writeHead(404).end();
      res.writeHead(200).end(readFileSync(f));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts good models under the data folder’s ota/models/releases, not yet in use', async () => {
    const p = await packPart('models', modelsFolder('county-1'), { version: '1', out: served });
    const r = await install(signed(p.file, 'models'));
    expect(r.dir).toBe(join(data, 'ota', 'models', 'releases', 'roadwarden-models-1'));
    expect(readdirSync(r.dir).sort()).toEqual(['detector.onnx', 'models.yaml']);
    expect(partLayout(data, 'models').running).toBeUndefined();
    expect(r.packages).toBeUndefined();
  });

  it('refuses models that name a file outside the bundle, and a template that does not fit, leaving nothing behind', async () => {
    // Packed by hand: `roadwarden pack` refuses both.
    const escaping = modelsFolder('escaping', '../../../../etc/hostname');
    await expect(packPart('models', escaping, { version: '2', out: served })).rejects.toThrow(
      /models\.yaml names \.\.\/\.\.\/\.\.\/\.\.\/etc\/hostname, outside the bundle/,
    );
    const stage = join(dir, 'stage');
    mkdirSync(join(stage, 'roadwarden-models-2'), { recursive: true });
    const onnxPath = join(dir, 'outside.onnx');
    writeFileSync(onnxPath, tinyYoloModel('yolov8'));
    writeFileSync(
      join(stage, 'roadwarden-models-2', 'models.yaml'),
      `models:\n  - name: outside\n    task: objects\n    file: ${onnxPath}\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [a, b, c]\n`,
    );
    execFileSync('tar', ['-czf', join(served, 'roadwarden-models-2.tar.gz'), '-C', stage, 'roadwarden-models-2']);
    expect(await code(install(signed(join(served, 'roadwarden-models-2.tar.gz'), 'models')))).toBe('invalid_content');

    writeFileSync(
      join(dir, 'speaker.yaml'),
      'schedules:\n  - { name: noon, cron: "0 12 * * *", durationMin: 30, broadcast: { clip: 3 } }\n',
    );
    const t = await packPart('config', join(dir, 'speaker.yaml'), { version: '1', out: served });
    const err = await install(signed(t.file, 'config')).catch((e: UpdateError) => e);
    expect(err).toMatchObject({ code: 'invalid_content' });
    expect((err as Error).message).toMatch(/schedules\.0 \(noon\): plays a clip, but there is no hardware\.speaker/);
    expect(readdirSync(join(data, 'ota', 'models', 'releases'))).toEqual(['roadwarden-models-1']);
    expect(existsSync(join(data, 'ota', 'config', 'releases', 'roadwarden-config-1'))).toBe(false);
    // `pack config --against` finds the same before anything is signed.
    await expect(
      packPart('config', join(dir, 'speaker.yaml'), { version: '1', out: served, box: BOX }),
    ).rejects.toThrow(/no hardware\.speaker/);
  });

  it('keeps the release in use and the one before it when it switches, and removes the older ones', () => {
    const layout = partLayout(data, 'models');
    for (const v of ['a', 'b', 'c']) mkdirSync(join(layout.releases, `roadwarden-models-${v}`), { recursive: true });
    mkdirSync(join(layout.releases, '.unpack-1'));
    switchCurrent(layout, join(layout.releases, 'roadwarden-models-b'));
    const before = partLayout(data, 'models').running;
    switchCurrent(layout, join(layout.releases, 'roadwarden-models-c'));
    const removed = pruneReleases(layout, [join(layout.releases, 'roadwarden-models-c'), before]);
    expect(removed.sort()).toEqual(['roadwarden-models-1', 'roadwarden-models-a']);
    expect(readdirSync(layout.releases).sort()).toEqual(['.unpack-1', 'roadwarden-models-b', 'roadwarden-models-c']);
    expect(partLayout(data, 'models').running).toBe(join(layout.releases, 'roadwarden-models-c'));
  });
});
