import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualModbusLight } from '../../sim/devices/virtual-modbus-light.ts';
import { PtyPair } from '../../sim/serial/pty-pair.ts';
import { serveOnTty, type ServedDevice } from '../../sim/serial/serve.ts';
import { until } from '../../sim/testing/until.ts';
import { SerialLine } from '../serial/serial-line.ts';
import { ModbusLight } from './modbus-light.ts';

describe('ModbusLight over a real pty against the virtual controller', () => {
  let pair: PtyPair;
  let device: VirtualModbusLight;
  let served: ServedDevice;
  let light: ModbusLight;

  beforeEach(async () => {
    pair = await PtyPair.create('light');
    device = new VirtualModbusLight({ channels: 4 });
    served = await serveOnTty(device, pair.devicePath);
    light = new ModbusLight(new SerialLine({ path: pair.driverPath, reconnectMinMs: 50, reconnectMaxMs: 200 }), {
      channelCount: 4,
      timeoutMs: 150,
      retries: 1,
      probeIntervalMs: 200,
    });
    await light.start();
  });

  afterEach(async () => {
    await light.stop();
    await served.close();
    await pair.close();
  });

  it('probes the controller and reports ok', () => {
    expect(light.health.value.state).toBe('ok');
  });

  it('switches channels on and off, seen in the controller', async () => {
    await light.on({ channels: [1, 3] });
    expect(device.coils.slice(0, 4)).toEqual([true, false, true, false]);
    await light.off({ channels: [1] });
    expect(device.coils.slice(0, 4)).toEqual([false, false, true, false]);
  });

  it('flashes with the requested period and duty', async () => {
    const start = device.history.length;
    await light.flash({ channels: [2], periodMs: 200, duty: 0.5 });
    await new Promise((r) => setTimeout(r, 1050));
    await light.off();
    const edges = device.history.slice(start).map((h) => ({ at: h.at, lit: h.coils[1] }));
    const ons = edges.filter((e) => e.lit);
    // ~5 cycles in a second; allow for scheduling on a busy machine.
    expect(ons.length).toBeGreaterThanOrEqual(4);
    expect(ons.length).toBeLessThanOrEqual(7);
    const gaps = ons.slice(1).map((e, i) => e.at - ons[i].at);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(170);
    expect(mean).toBeLessThan(260);
  });

  it('turns off by itself after the duration', async () => {
    await light.on({ channels: [4], durationMs: 150 });
    expect(device.coils[3]).toBe(true);
    await until(() => device.coils[3] === false);
  });

  it('reads back lamps and reports a burnt one as open circuit', async () => {
    device.burnOut(2);
    await light.on();
    const lamps = await light.readLamps();
    expect(lamps.map((l) => l.lamp)).toEqual(['ok', 'open_circuit', 'ok', 'ok']);
    expect(light.health.value.state).toBe('degraded');
    expect(light.health.value.error?.code).toBe('lamp_open_circuit');
    device.burnOut(2, false);
    await light.readLamps();
    expect(light.health.value.state).toBe('ok');
  });

  it('reports no_reply when the controller stops answering, and recovers', async () => {
    served.server.setFaults({ dropReplies: 1 });
    await expect(light.on()).rejects.toMatchObject({ code: 'no_reply' });
    expect(light.health.value.state).toBe('offline');
    served.server.clearFaults();
    await light.on();
    expect(light.health.value.state).toBe('ok');
  });

  it('reports crc_error when every reply is corrupted', async () => {
    served.server.setFaults({ corruptReplies: 1 });
    await expect(light.off()).rejects.toMatchObject({ code: 'crc_error' });
    expect(light.master.stats.crcErrors).toBeGreaterThan(0);
  });

  it('tolerates slow replies within its timeout and times out beyond it', async () => {
    served.server.setFaults({ replyDelayMs: 60 });
    await light.on({ channels: [1] });
    served.server.setFaults({ replyDelayMs: 400 });
    await expect(light.off()).rejects.toMatchObject({ code: 'no_reply' });
  });

  it('goes offline when the port is unplugged and re-asserts the lamps when it comes back', async () => {
    await light.on({ channels: [1] });
    await pair.unplug();
    await until(() => light.health.value.state === 'offline');
    device.coils.fill(false); // the controller lost power with the cable
    await pair.replug();
    await until(() => light.health.value.state === 'ok' && device.coils[0], 8000);
    expect(device.coils.slice(0, 4)).toEqual([true, false, false, false]);
  });

  it('refuses channels outside the controller', async () => {
    await expect(light.on({ channels: [5] })).rejects.toThrow(/outside 1–4/);
  });
});
