import { afterEach, describe, expect, it } from 'vitest';
import { ModbusLight, Mp3Speaker, SerialLine } from '../../hardware/index.ts';
import { VirtualModbusLight } from '../../sim/devices/virtual-modbus-light.ts';
import { VirtualMp3Module } from '../../sim/devices/virtual-mp3-module.ts';
import { mockBindingFor } from '../../sim/serial/mock-binding.ts';
import { Actuators } from '../actuators.ts';
import { Scheduler } from '../schedule/scheduler.ts';
import { inWindow } from './quiet-hours.ts';
import { RuleEngine } from './rule-engine.ts';

describe('quiet hours', () => {
  it('handles windows that wrap midnight, in the box time zone', () => {
    // 14:30 UTC is 22:30 in Shanghai.
    expect(inWindow(new Date('2026-11-29T14:30:00Z'), '22:00', '06:00', 'Asia/Shanghai')).toBe(true);
    expect(inWindow(new Date('2026-11-29T21:59:00Z'), '22:00', '06:00', 'Asia/Shanghai')).toBe(true);
    expect(inWindow(new Date('2026-11-29T22:00:00Z'), '22:00', '06:00', 'Asia/Shanghai')).toBe(false);
    expect(inWindow(new Date('2026-11-29T04:00:00Z'), '11:00', '13:00', 'Asia/Shanghai')).toBe(true);
  });
});

describe('rules and schedules drive the real drivers (mock serial binding)', () => {
  const stops: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });

  async function box() {
    const lightModel = new VirtualModbusLight({ channels: 4 });
    const mp3 = new VirtualMp3Module();
    const { binding, servers } = mockBindingFor({ '/dev/l': lightModel, '/dev/s': mp3 });
    const light = new ModbusLight(new SerialLine({ path: '/dev/l', binding }), {
      channelCount: 4,
      timeoutMs: 100,
      retries: 0,
      verifyFlash: false,
    });
    const speaker = new Mp3Speaker(new SerialLine({ path: '/dev/s', binding }), { timeoutMs: 100, retries: 0 });
    await light.start();
    await speaker.start();
    stops.push(
      () => light.stop(),
      () => speaker.stop(),
      () => mp3.close(),
    );
    return { lightModel, mp3, servers, actuators: new Actuators(light, speaker) };
  }

  it('a rule warns once per cooldown, and mutes voice in quiet hours but still flashes', async () => {
    const { mp3, lightModel, actuators } = await box();
    let t = 0;
    let quiet = false;
    const engine = new RuleEngine({
      rules: [
        {
          name: 'warn',
          trigger: { sensor: 'approach' },
          light: { mode: 'on', channels: [1] },
          voice: { clip: 4 },
          cooldownS: 10,
        },
      ],
      actuators,
      isQuiet: () => quiet,
      now: () => t,
    });
    expect((await engine.onSensor('approach'))[0].localActions.sort()).toEqual(['light_on', 'voice_clip_4']);
    expect(await engine.onSensor('approach')).toEqual([]);
    expect(await engine.onSensor('other')).toEqual([]);
    t = 10_001;
    quiet = true;
    lightModel.coils.fill(false);
    expect((await engine.onSensor('approach'))[0].localActions.sort()).toEqual(['light_on', 'voice_muted_quiet_hours']);
    expect(mp3.plays).toHaveLength(1);
    expect(lightModel.coils[0]).toBe(true);
  });

  it('a dead speaker does not stop the light', async () => {
    const { servers, lightModel, actuators } = await box();
    servers['/dev/s'].setFaults({ dropReplies: 1 });
    const done = await actuators.perform({ light: { mode: 'on', channels: [2] }, voice: { clip: 1 } });
    expect(done).toEqual(['light_on']);
    expect(lightModel.coils[1]).toBe(true);
  });

  it('a schedule window sets its light mode for the window and plays its broadcast', async () => {
    const { mp3, lightModel, actuators } = await box();
    const s = new Scheduler({
      schedules: [
        {
          name: 'morning_peak',
          cron: '30 6 * * *',
          durationMin: 90,
          light: { mode: 'on', channels: [3] },
          broadcast: { clip: 3, everyMin: 10 },
        },
      ],
      actuators,
      isQuiet: () => false,
      timezone: 'Asia/Shanghai',
    });
    s.start();
    stops.push(() => s.stop());
    const next = s.nextRuns()[0].next!;
    expect(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit' }).format(next),
    ).toBe('06:30');
    const done = await s.open({
      name: 'morning_peak',
      cron: '30 6 * * *',
      durationMin: 90,
      light: { mode: 'on', channels: [3] },
      broadcast: { clip: 3, everyMin: 10 },
    });
    expect(done.sort()).toEqual(['light_on', 'voice_clip_3']);
    expect(lightModel.coils[2]).toBe(true);
    expect(mp3.plays.at(-1)?.track).toBe(3);
  });
});
