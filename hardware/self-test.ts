import { writeFile } from 'node:fs/promises';
import type { Camera } from './camera/camera.ts';
import { errorInfo } from './errors.ts';
import type { WarningLight } from './light/light.ts';
import type { PresenceSensor } from './sensor/presence-sensor.ts';
import type { Loudspeaker } from './speaker/speaker.ts';
import { withTimeout } from './timeout.ts';

export interface CheckResult {
  device: string;
  check: string;
  ok: boolean;
  message: string;
  ms: number;
}

export interface SelfTestTargets {
  light?: WarningLight;
  speaker?: Loudspeaker;
  sensor?: PresenceSensor;
  camera?: Camera;
  /** A box's sensors, checked after the camera: the technician walks out to trigger each by hand last. */
  sensors?: Iterable<PresenceSensor>;
}

export interface SelfTestOptions {
  /** Track played as the speaker test (a short chime on the card). */
  testClip?: number;
  /** Wait this long for someone to trigger the sensor by hand; 0 checks only that it answers. */
  sensorWaitMs?: number;
  /** Save the camera's test frame here for the technician to look at. */
  snapshotPath?: string;
  flashMs?: number;
  /** A check begins (a live checklist shows it as running). */
  onStart?: (device: string, check: string) => void;
  onResult?: (r: CheckResult) => void;
}

/** One line of a technician's checklist: `PASS  light    channel 1 lamp lights     lit and read back (5 ms)`. */
export function formatCheck(r: CheckResult): string {
  return `${r.ok ? 'PASS' : 'FAIL'}  ${r.device.padEnd(8)} ${r.check.padEnd(24)} ${r.message} (${r.ms} ms)`;
}

/** The on-the-spot checks a technician runs: every check reports pass/fail with a reason. */
export async function runSelfTest(t: SelfTestTargets, opts: SelfTestOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const check = checker(results, opts);
  if (t.light) await checkLight(t.light, check, opts.flashMs ?? 1200);
  if (t.speaker) await checkSpeaker(t.speaker, check, opts.testClip ?? 1);
  if (t.sensor) await checkSensor(t.sensor, check, opts.sensorWaitMs ?? 0);
  if (t.camera) await checkCamera(t.camera, check, opts.snapshotPath);
  for (const sensor of t.sensors ?? []) await checkSensor(sensor, check, opts.sensorWaitMs ?? 0);
  return results;
}

export type Check = (device: string, name: string, fn: () => Promise<string>) => Promise<boolean>;

/** Runs one named check: resolves its message as a pass, a throw as a fail with the reason; timed and reported. */
export function checker(results: CheckResult[], opts: Pick<SelfTestOptions, 'onStart' | 'onResult'> = {}): Check {
  return async (device, name, fn) => {
    opts.onStart?.(device, name);
    const start = performance.now();
    let r: CheckResult;
    try {
      r = { device, check: name, ok: true, message: await fn(), ms: 0 };
    } catch (e) {
      r = { device, check: name, ok: false, message: errorInfo(e).message, ms: 0 };
    }
    r.ms = Math.round(performance.now() - start);
    results.push(r);
    opts.onResult?.(r);
    return r.ok;
  };
}

async function checkLight(light: WarningLight, check: Check, flashMs: number): Promise<void> {
  const answers = await check(light.name, 'controller answers', async () => {
    await light.start();
    const h = light.health.value;
    if (h.state === 'offline') throw new Error(h.error?.message ?? 'controller is offline');
    return `${light.channelCount} channels`;
  });
  if (!answers) return;
  for (let ch = 1; ch <= light.channelCount; ch++) {
    await check(light.name, `channel ${ch} lamp lights`, async () => {
      await light.off();
      await light.on({ channels: [ch] });
      const lamp = (await light.readLamps())[ch - 1].lamp;
      await light.off({ channels: [ch] });
      if (lamp === 'open_circuit') throw new Error(`channel ${ch}: lamp open circuit — burnt lamp or broken wire`);
      return lamp === 'ok' ? 'lit and read back' : 'switched; this controller cannot sense the lamp, look at it';
    });
  }
  await check(light.name, 'flash pattern', async () => {
    await light.flash({ periodMs: 500, duty: 0.5 });
    await new Promise((r) => setTimeout(r, flashMs));
    await light.off();
    return `flashed ${flashMs} ms at 2 Hz`;
  });
}

async function checkSpeaker(speaker: Loudspeaker, check: Check, clip: number): Promise<void> {
  const answers = await check(speaker.name, 'player answers', async () => {
    await speaker.start();
    const s = await speaker.state();
    return `volume ${s.volume}`;
  });
  if (!answers) return;
  await check(speaker.name, `plays test clip ${clip}`, async () => {
    await speaker.play(clip);
    const s = await speaker.state();
    await speaker.silence();
    if (!s.playing) throw new Error(`clip ${clip} did not start playing`);
    return 'playing confirmed';
  });
}

async function checkSensor(sensor: PresenceSensor, check: Check, waitMs: number): Promise<void> {
  const answers = await check(sensor.name, 'sensor answers', async () => {
    await sensor.start();
    const h = sensor.health.value;
    if (h.state === 'offline') throw new Error(h.error?.message ?? 'sensor is offline');
    return sensor.present ? 'reads: something present' : 'reads: clear';
  });
  if (!answers || waitMs <= 0) return;
  await check(sensor.name, 'triggered by hand', async () => {
    const arrived = new Promise<void>((resolve) => sensor.once('arrived', () => resolve()));
    await withTimeout(arrived, waitMs, `nobody triggered the sensor within ${Math.round(waitMs / 1000)} s`);
    return 'trigger seen';
  });
}

async function checkCamera(camera: Camera, check: Check, snapshotPath?: string): Promise<void> {
  await check(camera.name, 'grabs a frame', async () => {
    await camera.start().catch(() => undefined);
    const f = await camera.grab();
    if (snapshotPath) await writeFile(snapshotPath, f.jpeg);
    return `${f.width}×${f.height} JPEG, ${f.jpeg.length} bytes${snapshotPath ? `, saved to ${snapshotPath}` : ''}`;
  });
}
