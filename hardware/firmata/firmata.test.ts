import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualFirmataBoard } from '../../sim/devices/virtual-firmata-board.ts';
import { PtyPair } from '../../sim/serial/pty-pair.ts';
import { serveOnTty, type ServedDevice } from '../../sim/serial/serve.ts';
import { until } from '../../sim/testing/until.ts';
import { SerialLine } from '../serial/serial-line.ts';
import { FirmataBoard } from './firmata-board.ts';
import { FirmataLight } from './firmata-light.ts';
import { FirmataPresenceSensor } from './firmata-presence-sensor.ts';

describe('johnny-five over a real pty against the virtual Firmata board', () => {
  let pair: PtyPair;
  let sim: VirtualFirmataBoard;
  let served: ServedDevice;
  let board: FirmataBoard;
  let light: FirmataLight;
  let sensor: FirmataPresenceSensor;

  beforeEach(async () => {
    pair = await PtyPair.create('firmata');
    sim = new VirtualFirmataBoard();
    served = await serveOnTty(sim, pair.devicePath, 57600);
    board = new FirmataBoard(new SerialLine({ path: pair.driverPath, baudRate: 57600, reconnectMinMs: 50 }), {
      readyTimeoutMs: 3000,
    });
    light = new FirmataLight(board, { pins: [12, 13] });
    sensor = new FirmataPresenceSensor(board, { pin: 2, debounceMs: 30, stuckAfterMs: 400 });
    await board.start();
    await sensor.start();
  });

  afterEach(async () => {
    await light.stop();
    await sensor.stop();
    await board.stop();
    await served.close();
    await pair.close();
  });

  it('finishes the Firmata handshake', () => {
    expect(board.ready).toBe(true);
    expect(board.health.value.state).toBe('ok');
  });

  it('drives lamp pins through johnny-five Leds', async () => {
    await light.on({ channels: [2] });
    await until(() => sim.values[13] === 1);
    expect(sim.values[12]).toBe(0);
    await light.off();
    await until(() => sim.values[13] === 0);
    const lamps = await light.readLamps();
    expect(lamps).toEqual([
      { channel: 1, mode: 'off', lamp: 'unknown' },
      { channel: 2, mode: 'off', lamp: 'unknown' },
    ]);
  });

  it('flashes a pin with the requested duty', async () => {
    const from = sim.outputs.length;
    await light.flash({ channels: [1], periodMs: 200, duty: 0.25 });
    await new Promise((r) => setTimeout(r, 820));
    await light.off();
    const edges = sim.outputs.slice(from).filter((o) => o.pin === 12);
    const ons = edges.filter((e) => e.value === 1);
    expect(ons.length).toBeGreaterThanOrEqual(3);
    // Lit time per cycle ≈ 50 ms (25% of 200 ms).
    const litMs = ons
      .map((on) => (edges.find((e) => e.value === 0 && e.at > on.at)?.at ?? on.at) - on.at)
      .filter((ms) => ms > 0);
    const mean = litMs.reduce((a, b) => a + b, 0) / litMs.length;
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(90);
  });

  it('reports a vehicle arriving and leaving, debounced', async () => {
    const events: string[] = [];
    sensor.on('arrived', () => events.push('arrived'));
    sensor.on('left', () => events.push('left'));
    sim.setInput(2, true);
    sim.setInput(2, false); // chatter shorter than the debounce
    sim.setInput(2, true);
    await until(() => events.length === 1);
    expect(sensor.present).toBe(true);
    sim.setInput(2, false);
    await until(() => events.length === 2);
    expect(events).toEqual(['arrived', 'left']);
  });

  it('reports a sensor stuck active', async () => {
    sim.setInput(2, true);
    await until(() => sensor.health.value.state === 'degraded', 2000);
    expect(sensor.health.value.error?.message).toMatch(/stuck/);
    sim.setInput(2, false);
    await until(() => sensor.health.value.state === 'ok');
  });

  it('takes no presence from 100 KB of noise on the line, and still sees what happened meanwhile', async () => {
    const events: string[] = [];
    sensor.on('arrived', () => events.push('arrived'));
    sensor.on('left', () => events.push('left'));
    let x = 0x9e3779b9;
    const junk = Buffer.alloc(100 * 1024);
    for (let i = 0; i < junk.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      junk[i] = x & 0xff;
    }
    // A vehicle arrives while the noise drowns the board's report of it (its value changes, unsent).
    sim.values[2] = 1;
    for (let i = 0; i < junk.length; i += 4096) sim.emit('send', junk.subarray(i, i + 4096));
    await until(() => board.filter.stats.noiseBytes > 90 * 1024, 5000, 'the noise read');
    // Once the line is quiet the board is asked for its inputs again: the real arrival, once.
    await until(() => events.length > 0, 3000, 'the arrival reported after the noise');
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual(['arrived']);
    sim.setInput(2, false);
    await until(() => events.length === 2, 2000, 'the departure');
    expect(events).toEqual(['arrived', 'left']);
  });

  it('survives noise shaped like a reply about a pin the board does not have, and goes on working', async () => {
    const events: string[] = [];
    sensor.on('arrived', () => events.push('arrived'));
    // PIN_STATE_RESPONSE (0x6e) for pin 110: firmata.js indexes its pin table with it and throws
    // (the chaos bench's noisy line found it: it ended the whole agent). Sent twice: the parser must
    // start afresh after each.
    const bad = Buffer.from([0xf0, 0x6e, 110, 0x01, 0x00, 0xf7]);
    sim.emit('send', bad);
    sim.emit('send', bad);
    await until(() => board.filter.stats.refusedFrames === 2, 3000, 'both frames refused');
    await new Promise((r) => setTimeout(r, 200));
    sim.setInput(2, true);
    await until(() => events.length === 1, 3000, 'the arrival after the bad frames');
    expect(board.health.value.state).toBe('ok');
  });

  it('redoes the handshake after the port comes back', async () => {
    await pair.unplug();
    await until(() => board.health.value.state === 'offline');
    await pair.replug();
    await until(() => board.ready, 8000);
    await light.on({ channels: [1] });
    await until(() => sim.values[12] === 1);
  });
});
