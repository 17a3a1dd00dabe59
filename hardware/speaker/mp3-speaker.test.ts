import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualMp3Module } from '../../sim/devices/virtual-mp3-module.ts';
import { PtyPair } from '../../sim/serial/pty-pair.ts';
import { serveOnTty, type ServedDevice } from '../../sim/serial/serve.ts';
import { SerialLine } from '../serial/serial-line.ts';
import { Mp3Speaker } from './mp3-speaker.ts';

describe('Mp3Speaker over a real pty against the virtual MP3 module', () => {
  let pair: PtyPair;
  let module: VirtualMp3Module;
  let served: ServedDevice;
  let speaker: Mp3Speaker;

  beforeEach(async () => {
    pair = await PtyPair.create('mp3');
    module = new VirtualMp3Module({ tracks: { 1: 120, 2: 120, 7: 5000 } });
    served = await serveOnTty(module, pair.devicePath);
    speaker = new Mp3Speaker(new SerialLine({ path: pair.driverPath }), { timeoutMs: 150, retries: 1 });
    await speaker.start();
  });

  afterEach(async () => {
    await speaker.stop();
    module.close();
    await served.close();
    await pair.close();
  });

  it('probes the module and reports ok', () => {
    expect(speaker.health.value.state).toBe('ok');
  });

  it('plays a clip at a volume and reports it playing', async () => {
    await speaker.play(7, { volume: 25 });
    expect(module.plays.at(-1)).toMatchObject({ track: 7, volume: 25 });
    expect(await speaker.state()).toEqual({ playing: true, volume: 25, clip: 7 });
    await speaker.silence();
    expect(module.playing).toBeUndefined();
    expect((await speaker.state()).playing).toBe(false);
  });

  it('repeats a clip the asked number of times, once per end-of-track', async () => {
    const finished: number[] = [];
    speaker.on('finished', (t: number) => finished.push(t));
    await speaker.play(1, { times: 3 });
    await new Promise((r) => setTimeout(r, 700));
    expect(module.plays.filter((p) => p.track === 1)).toHaveLength(3);
    expect(finished).toEqual([1, 1, 1]);
  });

  it('reports a missing track as a device error and stays online', async () => {
    await expect(speaker.play(42)).rejects.toMatchObject({
      code: 'device_error',
      message: expect.stringMatching(/not found/),
    });
    expect(speaker.health.value.state).toBe('degraded');
    await speaker.play(2);
    expect(module.plays.at(-1)?.track).toBe(2);
  });

  it('reports no_reply and goes offline when the module is dead', async () => {
    served.server.setFaults({ dropReplies: 1 });
    await expect(speaker.setVolume(10)).rejects.toMatchObject({ code: 'no_reply' });
    expect(speaker.health.value.state).toBe('offline');
    served.server.clearFaults();
    await speaker.setVolume(10);
    expect(module.volume).toBe(10);
    expect(speaker.health.value.state).toBe('ok');
  });

  it('ignores corrupted replies (bad checksum) and times out', async () => {
    served.server.setFaults({ corruptReplies: 1 });
    await expect(speaker.setVolume(5)).rejects.toMatchObject({ code: 'no_reply' });
  });
});
