import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { MqttLink, Outbox } from '../../edge/index.ts';
import { FirmataBoard, FirmataPresenceSensor, SerialLine } from '../../hardware/index.ts';
import { VirtualFirmataBoard } from '../devices/virtual-firmata-board.ts';
import { PtyPair } from '../serial/pty-pair.ts';
import { serveOnTty } from '../serial/serve.ts';
import { loadStorageKey, openDatabase } from '../../gateway/index.ts';
import { createIdGenerator, encodeMessage, topics } from '../../protocols/index.ts';
import { freePorts } from '../testing/free-ports.ts';
import { addDevices, BIN, gatewayArgs, spawnGateway } from '../testing/gateway-process.ts';
import { tricycleAlarm } from '../testing/alarm.ts';
import { httpReceiver } from '../testing/http-receiver.ts';
import { LinkRelay } from '../testing/link-relay.ts';
import type { BenchLine } from './report.ts';

const run = promisify(execFile);
const BENCH = 'chaos';

export interface ChaosBenchOptions {
  alarms: number;
  boxes: number;
  kills: number;
  /** Seconds every box's link is cut. */
  cut: number;
  fuzz: number;
  onProgress?: (m: string) => void;
}

export async function runChaosBench(o: ChaosBenchOptions): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-chaos-'));
  try {
    return [
      await gatewayKills(dir, o),
      await gatewayKills(dir, o, 'mosquitto'),
      await linkCut(dir, o),
      await fuzzedPayloads(dir, o),
      await serialNoise(o),
    ];
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
  mqttPort: number;
  /** With an external Mosquitto: its configuration, written by `gateway broker-config`. */
  mosquittoConf?: string;
}

/**
 * A gateway data dir with `boxes` accounts and a plan whose village and police responses go to a
 * webhook; on the embedded broker, or on a Mosquitto set up by `gateway broker-config`.
 */
async function county(dir: string, name: string, boxes: number, broker: Broker = 'embedded'): Promise<County> {
  const hooks = await httpReceiver();
  const [mqttPort, httpPort] = await freePorts(2);
  const config = join(dir, `${name}.yaml`);
  const secret = randomBytes(16).toString('hex');
  const external =
    broker === 'mosquitto'
      ? `broker: { url: "mqtt://127.0.0.1:${mqttPort}", username: roadwarden-gateway, password: ${randomBytes(16).toString('hex')} }\n`
      : '';
  writeFileSync(
    config,
    `${external}responses:
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
  await addDevices(
    data,
    ids.map((id) => ({ id, password: `${id}-pw` })),
  );
  let mosquittoConf: string | undefined;
  if (broker === 'mosquitto') {
    const out = join(dir, `${name}-mosquitto`);
    await run(process.execPath, [
      BIN,
      'gateway',
      'broker-config',
      '--config',
      config,
      '--data-dir',
      data,
      '--out',
      out,
      '--listen',
      `127.0.0.1:${mqttPort}`,
      '--user',
      userInfo().username,
    ]);
    mosquittoConf = join(out, 'mosquitto.conf');
  }
  const args = gatewayArgs(config, mqttPort!, httpPort!, data);
  return { args, data, ids, hooks, mqttPort: mqttPort!, mosquittoConf };
}

type Broker = 'embedded' | 'mosquitto';

/** Mosquitto on the county's configuration; resolves once it takes connections. */
async function startMosquitto(conf: string, port: number): Promise<ChildProcess> {
  const p = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => r(true)).once('error', () => r(false));
      s.once('connect', () => s.destroy());
    });
    if (up) return p;
    if (Date.now() > deadline || p.exitCode !== null) throw new Error(`mosquitto -c ${conf} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a disruption can do to the county while its boxes send alarms. */
interface Scene {
  /** kill -9 of the gateway, started again at once; resolves once it listens. */
  killGateway(): Promise<void>;
  /** kill -9 of the external broker, started again at once (only with Mosquitto). */
  killBroker(): Promise<void>;
  /** Every box's link, each a relay that can be cut. */
  relays: LinkRelay[];
  progress(m: string): void;
}

/**
 * Boxes as they are (each a durable outbox and the edge link that drains it, alarms at QoS 2)
 * send `o.alarms` alarms through relays to the gateway as its own process; `disrupt` is called
 * before each alarm. Then counted from the gateway's database and at the webhook receiver of the
 * village and police responses: nothing acknowledged may be lost, every alarm cased once, no
 * receiver told twice under different keys.
 */
async function alarmsUnder(
  dir: string,
  o: ChaosBenchOptions,
  metric: string,
  disrupt: (i: number, s: Scene) => Promise<void>,
  broker: Broker = 'embedded',
): Promise<BenchLine> {
  const c = await county(dir, `${metric}-${broker}`, o.boxes, broker);
  const newId = createIdGenerator();
  let mosquitto = c.mosquittoConf ? await startMosquitto(c.mosquittoConf, c.mqttPort) : undefined;
  let brokerKills = 0;
  let gw = await spawnGateway(c.args);
  let crashes = 0;
  // Exits the bench did not cause: our kills and the final stop are marked before they are sent.
  const ours = new WeakSet<ChildProcess>();
  const watch = (p: ChildProcess) => p.once('exit', () => !ours.has(p) && crashes++);
  watch(gw.proc);
  const recoverMs: number[] = [];
  const relays: LinkRelay[] = [];
  const boxes = await Promise.all(
    c.ids.map(async (id) => {
      const relay = new LinkRelay({ host: '127.0.0.1', port: c.mqttPort });
      await relay.start();
      relays.push(relay);
      const outbox = new Outbox({
        path: join(dir, `${metric}-${broker}`, 'boxes', id, 'outbox.db'),
        key: randomBytes(32),
      });
      const link = new MqttLink({
        url: relay.url,
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
    }),
  );
  const scene: Scene = {
    relays,
    progress: (m) => o.onProgress?.(m),
    async killGateway() {
      ours.add(gw.proc);
      gw.proc.kill('SIGKILL');
      await exited(gw.proc);
      const t0 = performance.now();
      gw = await spawnGateway(c.args);
      watch(gw.proc);
      recoverMs.push(performance.now() - t0);
    },
    async killBroker() {
      if (!mosquitto || !c.mosquittoConf) return;
      mosquitto.kill('SIGKILL');
      await exited(mosquitto);
      mosquitto = await startMosquitto(c.mosquittoConf, c.mqttPort);
      brokerKills++;
    },
  };
  const sentIds: string[] = [];
  for (let i = 0; i < o.alarms; i++) {
    await disrupt(i, scene);
    const box = boxes[i % boxes.length]!;
    const ev = tricycleAlarm(newId, c.ids[i % c.ids.length]!);
    sentIds.push(ev.id);
    box.outbox.append({
      id: ev.id,
      topic: topics.event(ev.deviceId, ev.kind),
      payload: encodeMessage('event', ev),
      cls: 'alarm',
    });
    box.link.kick();
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
  }
  o.onProgress?.('waiting for every outbox to empty and every response to be sent');
  const pending = () => boxes.reduce((n, b) => n + b.outbox.stats().pending, 0);
  const drainFrom = performance.now();
  let drainedAt: number | undefined;
  const want = o.alarms * 2;
  const deadline = Date.now() + 60_000;
  while (
    (pending() > 0 || new Set(c.hooks.got.map((g) => g.headers['idempotency-key'])).size < want) &&
    Date.now() < deadline
  ) {
    if (drainedAt === undefined && pending() === 0) drainedAt = performance.now();
    await new Promise((r) => setTimeout(r, 50));
  }
  drainedAt ??= performance.now();
  // What the boxes' outboxes let go of is what the gateway acknowledged.
  const unacked = new Set<string>();
  for (const b of boxes) {
    await b.link.stop();
    b.outbox.flushAcks();
    for (const m of b.outbox.next(0, 1_000_000)) unacked.add(m.id);
    b.outbox.close();
  }
  for (const r of relays) await r.stop();
  const acked = new Set(sentIds.filter((id) => !unacked.has(id)));
  ours.add(gw.proc);
  gw.proc.kill('SIGTERM');
  await exited(gw.proc);
  mosquitto?.kill('SIGTERM');
  if (mosquitto) await exited(mosquitto);
  await c.hooks.close();

  const db = openDatabase(c.data, loadStorageKey({}, c.data));
  try {
    const stored = new Set(
      (db.prepare("SELECT id FROM events WHERE severity = 'alarm'").all() as Array<{ id: string }>).map((r) => r.id),
    );
    const cases = new Map(
      (
        db.prepare('SELECT event_id AS e, count(*) AS n FROM cases GROUP BY event_id').all() as Array<{
          e: string;
          n: number;
        }>
      ).map((x) => [x.e, x.n]),
    );
    const keys = c.hooks.got.map((g) => String(g.headers['idempotency-key']));
    return {
      bench: BENCH,
      metric,
      unit: 'alarms',
      broker,
      boxes: o.boxes,
      kills: recoverMs.length,
      ...(broker === 'mosquitto' ? { broker_kills: brokerKills } : {}),
      sent: o.alarms,
      acked: acked.size,
      stored: stored.size,
      acked_lost: [...acked].filter((id) => !stored.has(id)).length,
      cased: [...stored].filter((id) => cases.has(id)).length,
      uncased: [...stored].filter((id) => !cases.has(id)).length,
      duplicate_cases: [...cases.values()].filter((n) => n > 1).length,
      notifications: keys.length,
      // Told twice about one response under two keys: a receiver would act twice.
      duplicate_notifications: Math.max(0, new Set(keys).size - 2 * stored.size),
      // Sent again under the same key after a kill (at least once): a receiver honouring the key acts once.
      resent_same_key: keys.length - new Set(keys).size,
      crashes,
      recover_ms: recoverMs.length ? Math.round(Math.max(...recoverMs)) : 0,
      // From the last alarm sent to every outbox empty: how long the county took to catch up.
      drain_s: Math.round((drainedAt - drainFrom) / 100) / 10,
    };
  } finally {
    db.close();
  }
}

/** kill -9 of the gateway at `o.kills` random moments (and, with Mosquitto, of it once midway). */
function gatewayKills(dir: string, o: ChaosBenchOptions, broker: Broker = 'embedded'): Promise<BenchLine> {
  const killAt = new Set(Array.from({ length: o.kills }, () => Math.floor(Math.random() * o.alarms)));
  const brokerAt = Math.floor(o.alarms / 2);
  return alarmsUnder(
    dir,
    o,
    'gateway_kill9',
    async (i, s) => {
      if (killAt.has(i)) {
        s.progress(`kill -9 of the gateway before alarm ${i + 1} of ${o.alarms}`);
        await s.killGateway();
      }
      if (broker === 'mosquitto' && i === brokerAt) {
        s.progress(`kill -9 of Mosquitto before alarm ${i + 1} of ${o.alarms}`);
        await s.killBroker();
      }
    },
    broker,
  );
}

/** Every box's link cut for `o.cut` seconds a third of the way in: alarms wait in the outboxes. */
function linkCut(dir: string, o: ChaosBenchOptions): Promise<BenchLine> {
  const at = Math.floor(o.alarms / 3);
  const back = Math.floor((2 * o.alarms) / 3);
  let cutAt = 0;
  return alarmsUnder(dir, o, 'link_cut', async (i, s) => {
    if (i === at) {
      s.progress(`every link cut for ${o.cut} s`);
      for (const r of s.relays) r.cut();
      cutAt = performance.now();
    }
    if (i === back) {
      await new Promise((r) => setTimeout(r, Math.max(0, cutAt + o.cut * 1000 - performance.now())));
      for (const r of s.relays) r.restore();
    }
  }).then((line) => ({ ...line, cut_s: o.cut }));
}

/** A payload as a fuzzer makes them: valid ones with a field broken, deep, huge, or plain bytes. */
function fuzzed(i: number, newId: () => string, deviceId: string): Buffer {
  const base = tricycleAlarm(newId, deviceId) as unknown as Record<string, unknown>;
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
