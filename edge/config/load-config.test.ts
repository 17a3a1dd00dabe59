import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEdgeConfig, parseEdgeConfig } from './load-config.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/edge.yaml', import.meta.url));
const env = {
  RW_DEVICE_PASSWORD: 'dev-secret',
  RW_CAMERA_PASSWORD: 'cam-secret',
  RW_STORAGE_KEY: Buffer.alloc(32, 1).toString('base64'),
};

const minimal = `
device: { id: box-1 }
gateway: { url: "mqtt://127.0.0.1:1883" }
hardware:
  light: { type: modbus, port: /dev/ttyUSB0, unit: 1 }
  sensors: [{ name: approach, type: firmata, port: /dev/ttyACM0, pin: 2 }]
rules:
  - name: warn
    trigger: { sensor: approach }
    light: { mode: flash, durationS: 5 }
`;

function problems(text: string, e: Record<string, string> = {}): string[] {
  try {
    parseEdgeConfig(text, 'edge.yaml', e);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('edge config', () => {
  it('accepts the shipped example, with secrets from the environment', () => {
    const c = loadEdgeConfig(EXAMPLE, env);
    expect(c.device.id).toBe('lc-dongchang-0001');
    expect(c.gateway.password).toBe('dev-secret');
    expect(c.rules?.map((r) => r.name)).toEqual(['approach_warning', 'tricycle_passengers']);
  });

  it('names a missing environment variable', () => {
    expect(() => loadEdgeConfig(EXAMPLE, {})).toThrow(
      /gateway.password: environment variable RW_DEVICE_PASSWORD is not set/,
    );
  });

  it('names the key, the expectation, the value and the line', () => {
    const p = problems(minimal.replace('unit: 1', 'unit: 300'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^hardware\.light\.unit: .*247.*\(got 300\) \(line 5\)$/);
  });

  it('explains a wrong field inside a union by the variant it meant', () => {
    const p = problems(minimal.replace('port: /dev/ttyUSB0, unit: 1', 'port: /dev/ttyUSB0, unti: 1'));
    expect(p.join('\n')).toMatch(/hardware\.light.*unti|hardware\.light\.unti/);
  });

  it('catches rules that refer to things that do not exist', () => {
    const p = problems(
      `${minimal.replace('trigger: { sensor: approach }', 'trigger: { sensor: loop_b }')}    voice: { clip: 1 }\n`,
    );
    expect(p).toContain('rules.0 (warn).trigger.sensor: no sensor named "loop_b" in hardware.sensors (have: approach)');
    expect(p).toContain('rules.0 (warn): plays a clip, but there is no hardware.speaker');
  });

  it('checks cron expressions and channel numbers', () => {
    const text = `${minimal}schedules:\n  - { name: peak, cron: "61 * * * *", durationMin: 5, light: { mode: on, channels: [9] } }\n`;
    const p = problems(text);
    expect(p.some((x) => /schedules\.0 \(peak\)\.cron: "61 \* \* \* \*" is not a cron expression/.test(x))).toBe(true);
    expect(p).toContain('schedules.0 (peak).light.channels: channel 9, but the light has 4');
  });

  it('reports YAML syntax errors with the line', () => {
    expect(problems('device:\n  id: [unclosed\n')[0]).toMatch(/^line \d+: /);
  });

  it('says plainly when the file is missing', () => {
    expect(() => loadEdgeConfig('/nonexistent/edge.yaml')).toThrow(/does not exist/);
  });
});
