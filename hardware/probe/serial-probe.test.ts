import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HardwareSimulator } from '../../sim/index.ts';
import { DeviceFactory } from '../device-factory.ts';
import { parseGpsSpec, parseLightSpec } from '../device-spec.ts';
import { gpsFixFromPort } from '../gps/nmea-gps.ts';
import { probeSerialPort, probeSerialPorts, type ProbeAttempt } from './serial-probe.ts';

describe('finding devices on serial ports (auto-probe) and reading a GPS, over ptys', { timeout: 60_000 }, () => {
  // The light controller was set up by its installer at slave 7 and 19200 baud; a driver at any
  // other baud hears noise from it (strictBaud reads the driver's line speed from its tty).
  const sim = new HardwareSimulator({
    pty: true,
    strictBaud: true,
    light: { unit: 7, baudRate: 19200, channels: 6 },
    speaker: {},
    sensor: false,
    camera: false,
    gps: { lat: 36.4562, lon: 115.9854, acquireMs: 1500, baudRate: 9600 },
  });
  beforeAll(async () => {
    await sim.start();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('finds the light controller at a non-default slave id and baud, and the MP3 module, and the specs work', async () => {
    const attempts: ProbeAttempt[] = [];
    const found = await probeSerialPorts([sim.ttys.light!, sim.ttys.speaker!], { onAttempt: (a) => attempts.push(a) });
    expect(found).toEqual([
      {
        port: sim.ttys.light,
        device: 'modbus-light',
        baudRate: 19200,
        unit: 7,
        channels: 6,
        channelsFrom: 'register',
        spec: `modbus:${sim.ttys.light}?unit=7&baud=19200&channels=6`,
      },
      { port: sim.ttys.speaker, device: 'mp3', baudRate: 9600, spec: `mp3:${sim.ttys.speaker}` },
    ]);
    // It had to go through 9600 first, where the controller could not understand it.
    expect(attempts.some((a) => a.port === sim.ttys.light && a.baudRate === 9600 && a.unit === 16)).toBe(true);
    expect(sim.light!.served.server.stats.baudMismatch).toBeGreaterThan(0);

    const factory = new DeviceFactory();
    const light = factory.light(parseLightSpec(found[0].spec));
    await light.start();
    expect(light.health.value.state).toBe('ok');
    expect(light.channelCount).toBe(6);
    await light.stop();
  });

  it('finds nothing on a port where nothing answers', async () => {
    expect(await probeSerialPort(sim.ttys.gps!, { bauds: [9600, 19200], units: [1, 2] })).toBeUndefined();
  });

  it('waits for a GPS fix, showing satellites as they come in; at the wrong baud it says so', async () => {
    // Long enough that the port is surely open before the fix comes, even on a busy machine.
    sim.gps!.device.coldStart(4000);
    const seen: number[] = [];
    const fix = await gpsFixFromPort(parseGpsSpec(sim.endpoints.gps!).port, 9600, {
      timeoutMs: 15_000,
      onProgress: (g) => seen.push(g.quality),
    });
    expect(fix.lat).toBeCloseTo(36.4562, 4);
    expect(fix.lon).toBeCloseTo(115.9854, 4);
    expect(fix.sats).toBeGreaterThanOrEqual(4);
    expect(seen[0]).toBe(0);
    await expect(gpsFixFromPort(sim.ttys.gps!, 4800, { timeoutMs: 2500 })).rejects.toThrow(
      /only noise .* at 4800 baud/,
    );
  });
});
