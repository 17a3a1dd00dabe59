import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../config/load-config.ts';
import { withInstalledParts } from './installed-parts.ts';
import { partLayout, switchCurrent } from './release-layout.ts';

const box = (sensors: boolean, vision = true) =>
  parseEdgeConfig(`
device: { id: lc-parts-2 }
gateway: { url: "mqtt://127.0.0.1:1883" }
hardware:
  light: { type: modbus, port: /dev/ttyUSB0, channels: 4 }
  camera: { type: http, url: "http://cam/snap.jpg" }
${sensors ? '  sensors: [{ name: approach, type: firmata, port: /dev/ttyACM0, pin: 2 }]\n' : ''}${vision ? 'vision: { everyMs: 1000 }\n' : ''}`);

describe('the config a box runs: edge.yaml with the models and template updates installed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-installed-parts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const install = (kind: 'models' | 'config', name: string, file: string, text: string) => {
    const layout = partLayout(dir, kind);
    mkdirSync(join(layout.releases, name), { recursive: true });
    writeFileSync(join(layout.releases, name, file), text);
    switchCurrent(layout, join(layout.releases, name));
    return join(layout.releases, name);
  };
  const rule = 'rules:\n  - { name: county, trigger: { sensor: approach }, light: { mode: flash } }\n';

  it('applies the installed template and puts the installed models in place of vision.models', () => {
    install('config', 'roadwarden-config-1', 'template.yaml', rule);
    const models = install('models', 'roadwarden-models-1', 'models.yaml', 'models: []\n');
    const r = withInstalledParts(box(true), { dataDir: dir, file: 'edge.yaml' });
    expect(r.problems).toEqual([]);
    expect(r.parts).toEqual({ config: 'roadwarden-config-1', models: 'roadwarden-models-1' });
    expect(r.config.rules?.map((x) => x.name)).toEqual(['county']);
    expect(r.config.vision?.models).toBe(join(models, 'models.yaml'));
    // A box without vision keeps the models for later; its vision stays off.
    expect(withInstalledParts(box(true, false), { dataDir: dir, file: 'edge.yaml' }).config.vision).toBeUndefined();
  });

  it('starts without an installed template that no longer fits edge.yaml, and says why; a candidate that does not fit fails', () => {
    // The technician took the sensor away since the template was installed.
    const r = withInstalledParts(box(false), { dataDir: dir, file: 'edge.yaml' });
    expect(r.config.rules ?? []).toEqual([]);
    expect(r.parts.config).toBeUndefined();
    expect(r.problems).toEqual([
      expect.stringMatching(/^the installed template roadwarden-config-1 is left out: .*no sensor named "approach"/s),
    ]);
    const candidate = join(dir, 'candidate');
    mkdirSync(candidate);
    writeFileSync(join(candidate, 'template.yaml'), rule);
    expect(() =>
      withInstalledParts(box(false), { dataDir: dir, file: 'edge.yaml', trying: { kind: 'config', dir: candidate } }),
    ).toThrow(/no sensor named "approach"/);
  });
});
