import { afterEach, describe, expect, it } from 'vitest';
import { ModbusLight, Mp3Speaker, SerialLine } from '../../hardware/index.ts';
import { VirtualModbusLight } from '../devices/virtual-modbus-light.ts';
import { VirtualMp3Module } from '../devices/virtual-mp3-module.ts';
import { mockBindingFor } from './mock-binding.ts';

describe('device models on @serialport/binding-mock (fast, no tty)', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });

  it('drives the light and the speaker through the real drivers', async () => {
    const lightModel = new VirtualModbusLight({ channels: 4 });
    const mp3 = new VirtualMp3Module({ tracks: { 3: 5000 } });
    const { binding, servers } = mockBindingFor({ '/dev/mock-light': lightModel, '/dev/mock-mp3': mp3 });
    const light = new ModbusLight(new SerialLine({ path: '/dev/mock-light', binding }), {
      channelCount: 4,
      timeoutMs: 100,
      retries: 0,
    });
    const speaker = new Mp3Speaker(new SerialLine({ path: '/dev/mock-mp3', binding }), { timeoutMs: 100, retries: 0 });
    stops.push(
      () => light.stop(),
      () => speaker.stop(),
      async () => mp3.close(),
    );
    await light.start();
    await speaker.start();

    await light.on({ channels: [2, 3] });
    expect(lightModel.coils.slice(0, 4)).toEqual([false, true, true, false]);
    lightModel.burnOut(3);
    expect((await light.readLamps()).map((l) => l.lamp)).toEqual(['unknown', 'ok', 'open_circuit', 'unknown']);

    await speaker.play(3, { volume: 12 });
    expect(mp3.plays.at(-1)).toMatchObject({ track: 3, volume: 12 });

    servers['/dev/mock-light'].setFaults({ dropReplies: 1 });
    await expect(light.off()).rejects.toMatchObject({ code: 'no_reply' });
  });
});
