import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyTemplate, loadConfigTemplate } from './config-template.ts';
import { parseEdgeConfig } from './load-config.ts';

const BOX = parseEdgeConfig(`
device: { id: lc-t-1 }
gateway: { url: "mqtt://127.0.0.1:1883" }
hardware:
  light: { type: modbus, port: /dev/ttyUSB0, channels: 2 }
  sensors: [{ name: approach, type: firmata, port: /dev/ttyACM0, pin: 2 }]
  camera: { type: http, url: "http://cam/snap.jpg" }
vision: { everyMs: 1000, cargoRegion: [[0, 0], [10, 0], [10, 10]], maxRiders: { tricycle: 1 } }
rules:
  - { name: local, trigger: { sensor: approach }, light: { mode: flash } }
telemetry: { intervalS: 60 }
`);

describe('a county config template over a box’s edge.yaml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-template-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const template = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('replaces the keys it has, merges vision key by key and keeps the camera’s cargo region', () => {
    const t = loadConfigTemplate(
      template(
        'county.yaml',
        'rules:\n  - { name: county, trigger: { sensor: approach }, light: { mode: on, channels: [2] } }\nvision: { maxRiders: { tricycle: 0 } }\nquietHours: { from: "22:00", to: "06:00" }\n',
      ),
    );
    const c = applyTemplate(BOX, t, 'edge.yaml');
    expect(c.rules!.map((r) => r.name)).toEqual(['county']);
    expect(c.vision).toEqual({ everyMs: 1000, cargoRegion: BOX.vision!.cargoRegion, maxRiders: { tricycle: 0 } });
    expect(c.quietHours).toEqual({ from: '22:00', to: '06:00' });
    expect(c.telemetry).toEqual({ intervalS: 60 });
    expect(c.device).toBe(BOX.device);
    // A box without a camera is not given vision by a template.
    const { vision: _v, ...noVision } = BOX;
    expect(
      applyTemplate({ ...noVision, hardware: { ...BOX.hardware, camera: undefined } }, t, 'e').vision,
    ).toBeUndefined();
  });

  it('refuses who a box is, its gateway, hardware, keys, folders, models and cargo region, and secrets from the environment', () => {
    for (const [name, text, key] of [
      ['id.yaml', 'device: { id: lc-other }\n', /\(top level\)|device/],
      ['gw.yaml', 'gateway: { url: "mqtt://evil:1883" }\n', /gateway/],
      ['hw.yaml', 'hardware: {}\n', /hardware/],
      ['ota.yaml', 'ota: { publicKey: /tmp/k.pem }\n', /ota/],
      ['dir.yaml', 'dataDir: /\n', /dataDir/],
      ['models.yaml', 'vision: { models: /etc/models.yaml }\n', /vision/],
      ['region.yaml', 'vision: { cargoRegion: [[0, 0], [1, 0], [1, 1]] }\n', /vision/],
      [
        'env.yaml',
        `rules:\n  - { name: "\${RW_DEVICE_PASSWORD}", trigger: { sensor: approach }, light: { mode: on } }\n`,
        /RW_DEVICE_PASSWORD is not set/,
      ],
    ] as const)
      expect(() => loadConfigTemplate(template(name, text)), name).toThrow(key);
  });

  it('names what does not fit this box: a sensor it lacks, a light channel it has not', () => {
    const t = loadConfigTemplate(
      template(
        'unfit.yaml',
        'rules:\n  - { name: radar, trigger: { sensor: radar }, light: { mode: flash } }\n  - { name: wide, trigger: { sensor: approach }, light: { mode: on, channels: [4] } }\n',
      ),
    );
    expect(() => applyTemplate(BOX, t, 'edge.yaml with template.yaml')).toThrow(
      /rules\.0 \(radar\)\.trigger\.sensor: no sensor named "radar"[\s\S]*rules\.1 \(wide\)\.light\.channels: channel 4, but the light has 2/,
    );
  });
});
