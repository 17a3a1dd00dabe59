import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { startTestBroker, type TestBroker } from '../testing/aedes-broker.ts';
import { until } from '../testing/until.ts';

const BIN = fileURLToPath(new URL('../../bin/roadwarden.js', import.meta.url));
const DEVICE = 'lc-durable-0001';
const N = 20;

function startEdge(config: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'edge', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('edge agent started')) resolve(p);
    });
    p.once('exit', (code) => reject(new Error(`edge exited ${code}: ${err.slice(-2000)}`)));
  });
}

describe('durability: events queued with the broker down survive kill -9 and arrive exactly once', {
  timeout: 90_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-durable-'));
  const procs: ChildProcess[] = [];
  let sim: HardwareSimulator | undefined;
  let broker: TestBroker | undefined;

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await broker?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every event exactly once after SIGKILL and restart', async () => {
    sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), camera: false, speaker: false });
    await sim.start();
    const probe = await startTestBroker();
    const port = probe.port;
    await probe.close();
    const config = join(dir, 'edge.yaml');
    writeFileSync(
      config,
      `device: { id: ${DEVICE} }
gateway: { url: "mqtt://127.0.0.1:${port}" }
hardware:
  light: { type: modbus, port: ${sim.ttys.light}, channels: 4 }
  sensors: [{ name: approach, type: firmata, port: ${sim.ttys.sensor}, pin: 2, debounceMs: 10 }]
rules:
  - name: count_vehicles
    trigger: { sensor: approach }
    light: { mode: flash, durationS: 1 }
    cooldownS: 0
    report: { kind: presence, severity: info }
telemetry: { intervalS: 3600 }
dataDir: ${join(dir, 'data')}
`,
    );

    // 1. The gateway is unreachable; vehicles pass; the box warns and queues.
    const first = await startEdge(config);
    procs.push(first);
    const db = new Database(join(dir, 'data', 'outbox.db'), { readonly: true });
    const queued = () => (db.prepare("SELECT count(*) AS n FROM outbox WHERE cls = 'event'").get() as { n: number }).n;
    for (let i = 0; i < N; i++) {
      // One vehicle at a time: on until the box has queued its event, then off.
      await sim.control('sensor on');
      await until(() => queued() === i + 1, 20_000, `event ${i + 1} queued`);
      await sim.control('sensor off');
      // Long enough off that a busy machine cannot merge it with the next "on" under the 10 ms debounce.
      await new Promise((r) => setTimeout(r, 300));
    }
    db.close();

    // 2. Power cut.
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    // 3. The gateway comes up; the box restarts and resends in order.
    broker = await startTestBroker({ port });
    const watcher = await mqtt.connectAsync(broker.url, { clientId: 'county' });
    const got: Array<{ id: string; ts: string }> = [];
    watcher.on('message', (_t, payload) => got.push(JSON.parse(payload.toString()) as { id: string; ts: string }));
    await watcher.subscribeAsync(topics.event(DEVICE, 'presence'), { qos: 1 });
    const second = await startEdge(config);
    procs.push(second);
    await until(() => got.length >= N, 15_000, `${N} delivered events`);
    await new Promise((r) => setTimeout(r, 500));
    await watcher.endAsync();
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    expect(got).toHaveLength(N);
    expect(new Set(got.map((e) => e.id)).size).toBe(N);
    // Resent in the order they happened.
    expect(got.map((e) => e.id)).toEqual([...got.map((e) => e.id)].sort());
  });
});
