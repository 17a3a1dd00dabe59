import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBoxSelfTest, type EdgeConfig } from '../../edge/index.ts';
import { Gateway, SYSTEM } from '../../gateway/index.ts';
import { probeSerialPort } from '../../hardware/index.ts';
import { createIdGenerator, encodeMessage, hashPassword, topics, type HealthFlag } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { rssMb, summary, value, type BenchLine } from './report.ts';

export interface TechnicianBenchOptions {
  runs?: number;
  devices?: number;
  messages?: number;
  onProgress?: (msg: string) => void;
}

const BENCH = 'technician';

/** How long auto-probe takes to find a controller configured at (unit, baud), over a pty with strict baud. */
async function benchProbe(unit: number, baudRate: number, runs: number): Promise<BenchLine> {
  const hw = new HardwareSimulator({
    pty: true,
    strictBaud: true,
    light: { unit, baudRate },
    speaker: false,
    sensor: false,
    camera: false,
  });
  await hw.start();
  const samples: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const f = await probeSerialPort(hw.ttys.light!);
      if (f?.unit !== unit || f.baudRate !== baudRate)
        throw new Error(`probe found ${JSON.stringify(f)}, expected unit ${unit} at ${baudRate}`);
      samples.push((performance.now() - t0) / 1000);
    }
  } finally {
    await hw.stop();
  }
  return summary(BENCH, 'probe_s', 's', samples, {
    slave: unit,
    baud: baudRate,
    slaves_tried_per_baud: 16,
    strict_baud: true,
  });
}

/** A whole `selftest` (4 light channels, flash, speaker, gateway credentials, clock) against the simulator and an in-process gateway. */
async function benchSelfTest(runs: number): Promise<BenchLine> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-tech-'));
  const hw = new HardwareSimulator({ pty: true, sensor: false, camera: false });
  const gw = new Gateway({ dataDir: join(dir, 'gw'), mqttPort: 0, httpPort: 0 });
  try {
    await hw.start();
    await gw.start();
    const id = 'bench-box-1';
    await gw.services.devices.commissioning.register(
      { v: 1, id, passwordHash: await hashPassword('bench-password'), commissionedAt: new Date().toISOString() },
      { name: 'bench', role: 'admin' },
    );
    const config: EdgeConfig = {
      device: { id },
      gateway: {
        url: `mqtt://127.0.0.1:${gw.mqttPort!}`,
        username: id,
        password: 'bench-password',
        apiUrl: `http://127.0.0.1:${gw.httpPort}`,
      },
      hardware: {
        light: { type: 'modbus', port: hw.ttys.light!, channels: 4 },
        speaker: { type: 'mp3', port: hw.ttys.speaker! },
      },
      dataDir: join(dir, 'box'),
    };
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await runBoxSelfTest({ config });
      if (!r.report.ok || r.delivery !== 'sent')
        throw new Error(`self-test did not pass: ${JSON.stringify(r.report.checks.filter((c) => !c.ok))}`);
      samples.push((performance.now() - t0) / 1000);
    }
    return summary(BENCH, 'selftest_s', 's', samples, { checks: 10, flash_ms: 1200 });
  } finally {
    await gw.stop();
    await hw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Telemetry through intake (validate, store, update the device row) with the fault watcher
 * working: once with no faults (the watcher only looks), once with a fifth of the messages
 * carrying fault flags (tickets opened, seen again, cleared).
 */
async function benchFaultIntake(devices: number, messages: number): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-tickets-'));
  const gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
  try {
    await gw.start();
    const newId = createIdGenerator();
    const run = async (prefix: string, flagsFor: (i: number) => HealthFlag[]): Promise<number> => {
      const payloads = Array.from({ length: messages }, (_, i) => {
        const deviceId = `${prefix}-${i % devices}`;
        const round = Math.floor(i / devices);
        const flags = flagsFor(round + (i % devices));
        return {
          topic: topics.telemetry(deviceId),
          payload: encodeMessage('telemetry', {
            v: 1,
            id: newId(),
            deviceId,
            ts: new Date().toISOString(),
            seq: round % 256,
            uptimeS: i,
            drivers: {},
            flags,
          }),
        };
      });
      const t0 = performance.now();
      for (const p of payloads) await gw.services.intake.intake.onMessage(p.topic, p.payload);
      return messages / ((performance.now() - t0) / 1000);
    };
    const clean = await run('clean', () => []);
    const faulty = await run('faulty', (k) => (k % 10 === 0 ? ['lamp_fault'] : k % 10 === 1 ? ['low_battery'] : []));
    const tickets = (await gw.services.tickets.tickets.list(SYSTEM, { limit: 100_000 })).length;
    return [
      value(BENCH, 'telemetry_per_s', 'msgs/s', clean, { n: messages, devices, fault_share: 0 }),
      value(BENCH, 'telemetry_with_tickets_per_s', 'msgs/s', faulty, {
        n: messages,
        devices,
        fault_share: 0.2,
        tickets_opened: tickets,
      }),
      value(BENCH, 'rss_mb', 'MB', rssMb()),
    ];
  } finally {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runTechnicianBench(o: TechnicianBenchOptions = {}): Promise<BenchLine[]> {
  const runs = o.runs ?? 3;
  const out: BenchLine[] = [];
  o.onProgress?.('auto-probe at the default (slave 1, 9600)');
  out.push(await benchProbe(1, 9600, runs));
  o.onProgress?.('auto-probe at slave 7, 19200');
  out.push(await benchProbe(7, 19200, runs));
  o.onProgress?.('auto-probe at slave 16, 57600 (the last baud tried)');
  out.push(await benchProbe(16, 57600, runs));
  o.onProgress?.('self-test');
  out.push(await benchSelfTest(runs));
  o.onProgress?.('telemetry with fault tickets');
  out.push(...(await benchFaultIntake(o.devices ?? 1000, o.messages ?? 20_000)));
  return out;
}
