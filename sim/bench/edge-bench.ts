import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeAgent, MqttLink, Outbox } from '../../edge/index.ts';
import { createIdGenerator, encodeMessage, topics, type EventMessage } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { startTestBroker } from '../testing/aedes-broker.ts';
import { until } from '../testing/until.ts';
import { rssMb, summary, value, type BenchLine } from './report.ts';

export interface EdgeBenchOptions {
  triggers?: number;
  appends?: number;
  resend?: number;
  onProgress?: (msg: string) => void;
}

const newId = createIdGenerator();
const eventPayload = (deviceId: string): { id: string; payload: Buffer } => {
  const ev: EventMessage = {
    v: 1,
    id: newId(),
    deviceId,
    ts: new Date().toISOString(),
    kind: 'presence',
    severity: 'info',
    source: 'sensor',
    data: { rule: 'bench' },
  };
  return { id: ev.id, payload: encodeMessage('event', ev) };
};

/** Presence input on the Firmata board → first byte of the light's Modbus request, while telemetry flows. */
async function benchTriggerToLight(dir: string, n: number, progress?: (m: string) => void): Promise<BenchLine> {
  const sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), camera: false });
  await sim.start();
  const broker = await startTestBroker();
  const agent = new EdgeAgent({
    config: {
      device: { id: 'bench-box' },
      gateway: { url: broker.url },
      hardware: {
        light: { type: 'modbus', port: sim.ttys.light!, channels: 4 },
        speaker: { type: 'mp3', port: sim.ttys.speaker! },
        sensors: [{ name: 'approach', type: 'firmata', port: sim.ttys.sensor!, pin: 2, debounceMs: 0 }],
      },
      rules: [
        {
          name: 'warn',
          trigger: { sensor: 'approach' },
          light: { mode: 'flash', periodMs: 1000 },
          cooldownS: 0,
          report: { kind: 'presence', severity: 'info' },
        },
      ],
      telemetry: { intervalS: 3600 },
      dataDir: join(dir, 'agent'),
    },
  });
  // Telemetry at 20/s in the background: the warning path must not wait behind reporting.
  const telemetry = setInterval(() => agent.sendTelemetry(), 50);
  try {
    await agent.start();
    await until(() => agent.link.connected, 5000);
    const line = sim.light!.served.line;
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      await agent.light!.off();
      await new Promise((r) => setTimeout(r, 20));
      let t0 = 0;
      const arrived = new Promise<number>((resolve) => line.once('data', () => resolve(performance.now() - t0)));
      t0 = performance.now();
      await sim.control('sensor on');
      samples.push(await arrived);
      await sim.control('sensor off');
      await new Promise((r) => setTimeout(r, 20));
      if (i % 50 === 49) progress?.(`trigger → light: ${i + 1}/${n}`);
    }
    return summary('edge', 'trigger_to_light_ms', 'ms', samples, {
      path: 'firmata pty → rule → modbus pty',
      telemetry_per_s: 20,
    });
  } finally {
    clearInterval(telemetry);
    await agent.stop();
    await broker.close();
    await sim.stop();
  }
}

function benchAppends(dir: string, n: number): BenchLine {
  const box = new Outbox({ path: join(dir, 'appends.db') });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { id, payload } = eventPayload('bench-box');
    box.append({ id, topic: topics.event('bench-box', 'presence'), payload, cls: 'event' });
  }
  const s = (performance.now() - t0) / 1000;
  box.close();
  return value('edge', 'outbox_appends_per_s', 'msg/s', n / s, {
    n,
    durable: 'WAL, synchronous=FULL (fsync per append)',
  });
}

async function benchResend(dir: string, n: number): Promise<BenchLine> {
  const box = new Outbox({ path: join(dir, 'resend.db') });
  for (let i = 0; i < n; i++) {
    const { id, payload } = eventPayload('bench-box');
    box.append({ id, topic: topics.event('bench-box', 'presence'), payload, cls: 'event' });
  }
  const broker = await startTestBroker();
  const link = new MqttLink({ url: broker.url, deviceId: 'bench-box', outbox: box, newId, bdSeq: 0 });
  try {
    const t0 = performance.now();
    link.start();
    await until(() => box.stats().pending === 0, 120_000, 'outbox drained');
    return value('edge', 'resend_per_s', 'msg/s', n / ((performance.now() - t0) / 1000), {
      n,
      qos: 1,
      broker: 'aedes (TCP loopback)',
    });
  } finally {
    await link.stop();
    await broker.close();
    box.close();
  }
}

export async function runEdgeBench(opts: EdgeBenchOptions = {}): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-edge-'));
  try {
    const lines = [await benchTriggerToLight(dir, opts.triggers ?? 200, opts.onProgress)];
    opts.onProgress?.('trigger latency done');
    lines.push(benchAppends(dir, opts.appends ?? 2000));
    lines.push(await benchResend(dir, opts.resend ?? 5000));
    lines.push(value('edge', 'rss_mb', 'MB', rssMb()));
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
