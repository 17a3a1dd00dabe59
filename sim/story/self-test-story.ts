import type { Logger } from 'pino';
import {
  DeviceFactory,
  parseCameraSpec,
  parseLightSpec,
  parseSensorSpec,
  parseSpeakerSpec,
  runSelfTest,
  type CheckResult,
  type SelfTestOptions,
  type SelfTestTargets,
} from '../../hardware/index.ts';
import { HardwareSimulator, type SimEndpoints } from '../hw-sim.ts';

export interface StoryOptions {
  ptyDir?: string;
  logger?: Logger;
  say?: (line: string) => void;
}

export interface StoryResult {
  endpoints: SimEndpoints;
  sim: HardwareSimulator;
  /** Checks of each act, in order: all pass, faults found, all pass after repair. */
  acts: CheckResult[][];
}

const mark = (r: CheckResult) =>
  `  ${r.ok ? '✔ PASS' : '✘ FAIL'}  ${r.device.padEnd(7)} ${r.check.padEnd(22)} ${r.message}`;

/**
 * The main job until the gateway demo exists: bring up a simulated box and walk through what a
 * technician sees — everything passes, a lamp burns out and a speaker cable is cut, both are
 * caught by name, the repair passes again. Leaves the simulator running for the caller.
 */
export async function playSelfTestStory(opts: StoryOptions = {}): Promise<StoryResult> {
  const say = opts.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const sim = new HardwareSimulator({ pty: true, ptyDir: opts.ptyDir, logger: opts.logger });
  const endpoints = await sim.start();
  say('roadwarden — a simulated roadside box: flashing light on RS-485 Modbus, loudspeaker on a serial MP3 module,');
  say('presence sensor on a Firmata board, IP camera over HTTP. Real drivers, real ttys.');
  for (const [k, v] of Object.entries(endpoints)) say(`  ${k.padEnd(8)} ${v}`);

  const run = async (title: string, selftest: SelfTestOptions = {}) => {
    say(`\n${title}`);
    const factory = new DeviceFactory({ logger: opts.logger });
    const t: SelfTestTargets = {
      light: factory.light(parseLightSpec(endpoints.light!)),
      speaker: factory.speaker(parseSpeakerSpec(endpoints.speaker!)),
      sensor: factory.sensor(parseSensorSpec(endpoints.sensor!)),
      camera: factory.camera(parseCameraSpec(endpoints.camera!)),
    };
    const results = await runSelfTest(t, { flashMs: 600, ...selftest, onResult: (r) => say(mark(r)) });
    await Promise.all([t.light?.stop(), t.speaker?.stop(), t.sensor?.stop(), t.camera?.stop()]);
    await factory.stop();
    const failed = results.filter((r) => !r.ok).length;
    say(failed ? `  → ${failed} of ${results.length} checks failed` : `  → all ${results.length} checks passed`);
    return results;
  };

  // A vehicle crosses the loop while the sensor check waits for it.
  const vehicle = setTimeout(() => {
    void sim.control('sensor on').then(() => setTimeout(() => void sim.control('sensor off'), 300));
  }, 1500);
  const act1 = await run('1. Installation check: every device answers and works (a vehicle drives over the sensor).', {
    sensorWaitMs: 8000,
  });
  clearTimeout(vehicle);

  await sim.control('burn 2');
  await sim.control('fault speaker drop=1');
  const act2 = await run('2. Weeks later: the lamp of channel 2 burns out and the loudspeaker cable is cut.');

  await sim.control('fix 2');
  await sim.control('clear speaker');
  const act3 = await run('3. After the repair (new lamp, cable spliced) the technician checks again.');

  return { endpoints, sim, acts: [act1, act2, act3] };
}
