import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { MqttLink, Outbox } from '../../edge/index.ts';
import { FirmataBoard, FirmataPresenceSensor, SerialLine } from '../../hardware/index.ts';
import { VirtualFirmataBoard } from '../devices/virtual-firmata-board.ts';
import { PtyPair } from '../serial/pty-pair.ts';
import { serveOnTty } from '../serial/serve.ts';
import { loadStorageKey, openDatabase } from '../../gateway/index.ts';
import { createIdGenerator, encodeMessage, type EventMessage, topics } from '../../protocols/index.ts';
import { freePorts } from '../testing/free-ports.ts';
import { BIN, spawnGateway } from '../testing/gateway-process.ts';
import { httpReceiver } from '../testing/http-receiver.ts';
import type { BenchLine } from './report.ts';

const run = promisify(execFile);
const BENCH = 'chaos';

export interface ChaosBenchOptions {
  alarms: number;
  boxes: number;
  kills: number;
  fuzz: number;
  onProgress?: (m: string) => void;
}

export async function runChaosBench(o: ChaosBenchOptions): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-chaos-'));
  try {
    return [await gatewayKills(dir, o), await fuzzedPayloads(dir, o), await serialNoise(o)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const exited = (p: ChildProcess) =>
  new Promise((r) => (p.exitCode === null && p.signalCode === null ? p.once('exit', r) : r(null)));

interface County {
  args: string[];
  data: string;
  ids: string[];
  hooks: Awaited<ReturnType<typeof httpReceiver>>;
}

/** A gateway data dir with `boxes` accounts and a plan whose village and police responses go to a webhook. */
async function county(dir: string, name: string, boxes: number): Promise<County> {
  const hooks = await httpReceiver();
  const [mqttPort, httpPort] = await freePorts(2);
  const config = join(dir, `${name}.yaml`);
  const secret = randomBytes(16).toString('hex');
  writeFileSync(
    config,
    `responses:
  channels:
    hook: { type: webhook, url: "${hooks.url}", secret: ${secret}, attempts: 20, timeoutMs: 2000 }
  plans:
    - kinds: [tricycle_passengers]
      onsite: {}
      village: { channel: hook, ackDeadlineS: 3600 }
      police: { channel: hook, ackDeadlineS: 3600 }
`,
  );
  const data = join(dir, name);
  const ids = Array.from({ length: boxes }, (_, i) => `lc-chaos-${String(i + 1).padStart(4, '0')}`);
  for (const id of ids)
    await run(process.execPath, [
      BIN,
      'gateway',
      'device',
      'add',
      '--id',
      id,
      '--password',
      `${id}-pw`,
      '--data-dir',
      data,
    ]);
  const args = [
    '--config',
    config,
    '--mqtt-port',
    String(mqttPort),
    '--http-port',
    String(httpPort),
    '--data-dir',
    data,
  ];
  return { args, data, ids, hooks };
}

const alarm = (newId: () => string, deviceId: string): EventMessage => ({
  v: 1,
  id: newId(),
  deviceId,
  ts: new Date().toISOString(),
  kind: 'tricycle_passengers',
  severity: 'alarm',
  source: 'vision',
  data: { riders: 3 },
});

/**
 * kill -9 of the embedded-broker gateway at random moments while boxes send alarms as their link
 * does (QoS 2, persistent sessions, resent after reconnecting), then counted from its database
 * and at the webhook receiver: nothing acknowledged may be lost, every alarm cased once, no
 * receiver told twice under different keys.
 */
async function gatewayKills(dir: string, o: ChaosBenchOptions): Promise<BenchLine> {
  const c = await county(dir, 'kill', o.boxes);
  const newId = createIdGenerator();
  let gw = await spawnGateway(c.args);
  let crashes = 0;
  // Exits the bench did not cause: our kills and the final stop are marked before they are sent.
  const ours = new WeakSet<ChildProcess>();
  const watch = (p: ChildProcess) => p.once('exit', () => !ours.has(p) && crashes++);
  watch(gw.proc);
  // The boxes as they are: each a durable outbox and the edge link that drains it (QoS 2 for alarms).
  const boxes = c.ids.map((id) => {
    const outbox = new Outbox({ path: join(dir, 'boxes', id, 'outbox.db'), key: randomBytes(32) });
    const link = new MqttLink({
      url: `mqtt://127.0.0.1:${gw.mqttPort}`,
      deviceId: id,
      username: id,
      password: `${id}-pw`,
      outbox,
      newId,
      bdSeq: 0,
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
    });
    link.start();
    return { outbox, link };
  });
  const sentIds: string[] = [];
  const killAt = new Set(Array.from({ length: o.kills }, () => Math.floor(Math.random() * o.alarms)));
  const recoverMs: number[] = [];
  for (let i = 0; i < o.alarms; i++) {
    const box = boxes[i % boxes.length]!;
    const ev = alarm(newId, c.ids[i % c.ids.length]!);
    sentIds.push(ev.id);
    box.outbox.append({
      id: ev.id,
      topic: topics.event(ev.deviceId, ev.kind),
      payload: encodeMessage('event', ev),
      cls: 'alarm',
    });
    box.link.kick();
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    if (killAt.has(i)) {
      o.onProgress?.(`kill -9 of the gateway after ${i + 1} of ${o.alarms} alarms`);
      ours.add(gw.proc);
      gw.proc.kill('SIGKILL');
      await exited(gw.proc);
      const t0 = performance.now();
      gw = await spawnGateway(c.args);
      watch(gw.proc);
      recoverMs.push(performance.now() - t0);
    }
  }
  o.onProgress?.('waiting for every outbox to empty and every response to be sent');
  const pending = () => boxes.reduce((n, b) => n + b.outbox.stats().pending, 0);
  const want = o.alarms * 2;
  const deadline = Date.now() + 60_000;
  while (
    (pending() > 0 || new Set(c.hooks.got.map((g) => g.headers['idempotency-key'])).size < want) &&
    Date.now() < deadline
  )
    await new Promise((r) => setTimeout(r, 200));
  // What the boxes' outboxes let go of is what the gateway acknowledged (telemetry and status too).
  const unacked = new Set<string>();
  for (const b of boxes) {
    await b.link.stop();
    b.outbox.flushAcks();
    for (const m of b.outbox.next(0, 1_000_000)) unacked.add(m.id);
    b.outbox.close();
  }
  const acked = new Set(sentIds.filter((id) => !unacked.has(id)));
  ours.add(gw.proc);
  gw.proc.kill('SIGTERM');
  await exited(gw.proc);
  await c.hooks.close();

  const db = openDatabase(c.data, loadStorageKey({}, c.data));
  try {
    const stored = new Set(
      (db.prepare("SELECT id FROM events WHERE severity = 'alarm'").all() as Array<{ id: string }>).map((r) => r.id),
    );
    const cases = db.prepare('SELECT event_id AS e, count(*) AS n FROM cases GROUP BY event_id').all() as Array<{
      e: string;
      n: number;
    }>;
    const keys = c.hooks.got.map((g) => String(g.headers['idempotency-key']));
    return {
      bench: BENCH,
      metric: 'gateway_kill9',
      unit: 'alarms',
      broker: 'embedded',
      boxes: o.boxes,
      kills: recoverMs.length,
      sent: o.alarms,
      acked: acked.size,
      stored: stored.size,
      acked_lost: [...acked].filter((id) => !stored.has(id)).length,
      cased: cases.filter((x) => stored.has(x.e)).length,
      uncased: [...stored].filter((id) => !cases.some((x) => x.e === id)).length,
      duplicate_cases: cases.filter((x) => x.n > 1).length,
      notifications: keys.length,
      // Told twice about one response under two keys: a receiver would act twice.
      duplicate_notifications: Math.max(0, new Set(keys).size - 2 * stored.size),
      // Sent again under the same key after a kill (at least once): a receiver honouring the key acts once.
      resent_same_key: keys.length - new Set(keys).size,
      crashes,
      recover_ms: recoverMs.length ? Math.round(Math.max(...recoverMs)) : 0,
    };
  } finally {
    db.close();
  }
}

/** A payload as a fuzzer makes them: valid ones with a field broken, deep, huge, or plain bytes. */
function fuzzed(i: number, newId: () => string, deviceId: string): Buffer {
  const base = alarm(newId, deviceId) as unknown as Record<string, unknown>;
  const deep = (n: number): unknown => (n === 0 ? 1 : { a: deep(n - 1) });
  switch (i % 10) {
    case 0:
      return randomBytes(1 + (i % 300));
    case 1:
      return Buffer.from(JSON.stringify({ ...base, kind: 'x'.repeat(i % 500) }));
    case 2:
      return Buffer.from(JSON.stringify({ ...base, data: deep(40 + (i % 2000)) }));
    case 3:
      return Buffer.from(JSON.stringify({ ...base, ts: i }));
    case 4:
      return Buffer.from(JSON.stringify({ ...base, deviceId: 'someone-else' }));
    case 5:
      return Buffer.from(JSON.stringify({ ...base, data: { plate: '=cmd|x'.repeat(1 + (i % 40)) } }));
    case 6:
      return Buffer.from(`${JSON.stringify(base).slice(0, i % 80)}`);
    case 7:
      return Buffer.alloc(300 * 1024, 0x7b);
    case 8:
      return Buffer.from(JSON.stringify([base, base]));
    default:
      return Buffer.from(JSON.stringify({ ...base, id: newId(), data: { riders: -i } }));
  }
}

/**
 * `fuzz` malformed payloads from boxes on their report topics: the gateway keeps running, its
 * memory settles, and every API endpoint still answers (no 5xx) afterwards.
 */
async function fuzzedPayloads(dir: string, o: ChaosBenchOptions): Promise<BenchLine> {
  const c = await county(dir, 'fuzz', 2);
  const newId = createIdGenerator();
  const gw = await spawnGateway(c.args);
  let crashes = 0;
  let stopping = false;
  gw.proc.once('exit', () => !stopping && crashes++);
  const box = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort}`, {
    clientId: c.ids[0],
    username: c.ids[0],
    password: `${c.ids[0]}-pw`,
    reconnectPeriod: 200,
  });
  box.on('error', () => {});
  const rss = async () => {
    const m = /rw_process_resident_memory_bytes (\d+)/.exec(
      await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text(),
    );
    return Number(m?.[1] ?? 0) / 1024 / 1024;
  };
  const rssBefore = await rss();
  const kinds = ['event/tricycle_passengers', 'status', 'telemetry', 'selftest', 'evidence/x', 'cmd/self_test/result'];
  for (let i = 0; i < o.fuzz; i++) {
    await box.publishAsync(`rw/v1/${c.ids[0]}/${kinds[i % kinds.length]}`, fuzzed(i, newId, c.ids[0]!), { qos: 1 });
    if (i % 1000 === 999) o.onProgress?.(`${i + 1} of ${o.fuzz} fuzzed payloads`);
  }
  const rssAfter = await rss();
  const token = (
    await run(process.execPath, [
      BIN,
      'gateway',
      'token',
      'add',
      '--name',
      'chaos-admin',
      '--role',
      'admin',
      '--data-dir',
      c.data,
    ])
  ).stdout
    .trim()
    .split(/\s+/)
    .at(-1)!;
  // Every GET route without a path parameter, as the API describes itself.
  const api = (await (await fetch(`http://127.0.0.1:${gw.httpPort}/openapi.json`)).json()) as {
    paths: Record<string, { get?: unknown }>;
  };
  const paths = Object.entries(api.paths)
    .filter(([p, ops]) => ops.get && !p.includes('{'))
    .map(([p]) => p);
  let serverErrors = 0;
  for (const p of paths) {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}${p}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status >= 500) serverErrors++;
    if (!p.endsWith('/stream')) await res.arrayBuffer();
    else await res.body?.cancel();
  }
  await box.endAsync(true);
  stopping = true;
  gw.proc.kill('SIGTERM');
  await exited(gw.proc);
  await c.hooks.close();
  return {
    bench: BENCH,
    metric: 'fuzz_mqtt',
    unit: 'payloads',
    sent: o.fuzz,
    crashes,
    rss_before_mb: Math.round(rssBefore),
    rss_after_mb: Math.round(rssAfter),
    endpoints: paths.length,
    endpoint_5xx: serverErrors,
  };
}

/**
 * 100 KB of noise on a Firmata presence sensor's serial line (a pty, the virtual board at the far
 * end): presence triggers that came from noise, and whether a real arrival still gets through.
 */
async function serialNoise(o: ChaosBenchOptions): Promise<BenchLine> {
  const pair = await PtyPair.create('chaos-firmata');
  const sim = new VirtualFirmataBoard();
  const served = await serveOnTty(sim, pair.devicePath, 57600);
  const board = new FirmataBoard(new SerialLine({ path: pair.driverPath, baudRate: 57600 }), { readyTimeoutMs: 5000 });
  const sensor = new FirmataPresenceSensor(board, { pin: 2, debounceMs: 50 });
  try {
    await board.start();
    await sensor.start();
    let triggers = 0;
    sensor.on('arrived', () => triggers++);
    o.onProgress?.('100 KB of noise on the Firmata line');
    const junk = randomBytes(100 * 1024);
    for (let i = 0; i < junk.length; i += 1024) {
      sim.emit('send', junk.subarray(i, i + 1024));
      await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 500));
    const falseTriggers = triggers;
    sim.setInput(2, true);
    const deadline = Date.now() + 3000;
    while (triggers === falseTriggers && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return {
      bench: BENCH,
      metric: 'serial_noise',
      unit: 'triggers',
      line: 'firmata presence sensor',
      noise_bytes: junk.length,
      noise_counted: board.filter.stats.noiseBytes,
      false_triggers: falseTriggers,
      real_arrival_seen: triggers > falseTriggers,
      crashes: 0,
    };
  } finally {
    await sensor.stop();
    await board.stop();
    await served.close();
    await pair.close();
  }
}
