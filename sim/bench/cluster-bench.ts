import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Gateway, PostgresSql, type ResponsesConfig } from '../../gateway/index.ts';
import { createIdGenerator, encodeMessage, topics } from '../../protocols/index.ts';
import { ClusterRig } from '../cluster/cluster-rig.ts';
import { rabbitmqInstalled } from '../cluster/rabbitmq-cluster.ts';
import { tricycleAlarm } from '../testing/alarm.ts';
import { type HttpReceiver, httpReceiver } from '../testing/http-receiver.ts';
import { until } from '../testing/until.ts';
import { connectedFleet } from './cluster-fleet.ts';
import { type BenchLine, summary, value } from './report.ts';

const BENCH = 'cluster';
const PG_URL = process.env.RW_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const newId = createIdGenerator();
const secret = (id: string) => `${id}-bench-secret`;

export interface ClusterBenchOptions {
  alarms: number;
  boxes: number;
  workers: number;
  /** QoS 1 publishes a box keeps in flight. */
  window: number;
  /** Steady run: messages per second (telemetry, with one alarm in 20) and its length. */
  rate: number;
  seconds: number;
  /** Boxes connected at once for the fleet run (RSS per box, return after a restart). */
  fleet: number;
  /** Which runs: steady, kills, quorum, sqlite, fleet. */
  parts: readonly string[];
  onProgress?: (m: string) => void;
}

/** What every part of the run works on. */
interface Run {
  rig: ClusterRig;
  db: PostgresSql;
  hook: HttpReceiver;
  boxes: MqttClient[];
  ids: string[];
  o: ClusterBenchOptions;
}

const responses = (url: string): ResponsesConfig => ({
  channels: { hook: { type: 'webhook', url, secret: 'cluster-bench-secret' } },
  plans: [
    {
      kinds: ['tricycle_passengers'],
      onsite: {},
      village: { channel: 'hook', ackDeadlineS: 3600 },
      police: { channel: 'hook', ackDeadlineS: 3600 },
    },
  ],
});

/**
 * A prefecture's cluster on loopback (3 RabbitMQ nodes, N gateway workers, one PostgreSQL): the
 * steady load a county's heartbeats make, alarms through a kill -9 of the consuming worker and of a
 * broker node, and what a box is told when a majority of nodes is gone.
 */
export async function runClusterBench(o: ClusterBenchOptions): Promise<BenchLine[]> {
  if (!rabbitmqInstalled()) throw new Error('RabbitMQ is not installed (Debian: apt-get install rabbitmq-server)');
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-cluster-'));
  const schema = `rw_bench_cluster_${Date.now().toString(36)}`;
  const hook = await httpReceiver();
  const storage = { url: PG_URL, schema };
  let rig: ClusterRig | undefined;
  const boxes: MqttClient[] = [];
  try {
    rig = await ClusterRig.start({
      dir,
      nodes: 3,
      workers: o.workers,
      storage,
      gateway: { responses: responses(hook.url) },
      onProgress: o.onProgress,
    });
    const ids = Array.from({ length: o.boxes }, (_, i) => `cl-box-${String(i + 1).padStart(4, '0')}`);
    await rig.addDevices(ids, secret);
    for (const [i, id] of ids.entries()) boxes.push(await connectBox(rig, id, i));
    const db = await PostgresSql.connect({ ...storage, poolSize: 2 });
    try {
      const run: Run = { rig, db, hook, boxes, ids, o };
      const on = (part: string) => o.parts.includes(part);
      const lines: BenchLine[] = [];
      if (on('steady')) lines.push(await steady(run));
      if (on('kills')) lines.push(await underKills(run));
      if (on('fleet')) lines.push(...(await connectedFleet(rig, o.fleet, secret, o.onProgress)));
      if (on('quorum')) lines.push(await withoutQuorum(rig, ids, o));
      if (on('sqlite')) lines.push(await singleSqlite(o, hook));
      return lines;
    } finally {
      await db.close();
    }
  } finally {
    for (const b of boxes) await b.endAsync(true).catch(() => {});
    await rig?.stop();
    await hook.close();
    const admin = await PostgresSql.connect({ url: PG_URL, poolSize: 1 });
    await admin.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A box on node i mod 3 first; mqtt.js moves to the next node when its connection is lost. */
function connectBox(rig: ClusterRig, id: string, i: number): Promise<MqttClient> {
  const nodes = rig.rabbit.nodes;
  const servers = nodes.map((_, k) => ({ host: '127.0.0.1', port: nodes[(i + k) % nodes.length]!.mqttPort }));
  return mqtt.connectAsync({
    servers,
    clientId: id,
    username: id,
    password: secret(id),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 300,
    connectTimeout: 5000,
  });
}

const count = async (db: PostgresSql, q: string): Promise<number> =>
  ((await db.get<{ n: number }>(q)) as { n: number }).n;

/** Publishes in flight per box at most `window`; resolves once every one is acknowledged. */
async function publishAll(
  boxes: MqttClient[],
  ids: string[],
  perBox: number,
  window: number,
  message: (id: string) => { topic: string; payload: Buffer },
  onAck: () => void,
): Promise<void> {
  await Promise.all(
    boxes.map(async (b, i) => {
      const inFlight = new Set<Promise<unknown>>();
      for (let seq = 0; seq < perBox; seq++) {
        const m = message(ids[i]!);
        const p = b.publishAsync(m.topic, m.payload, { qos: 1 }).then(onAck);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }),
  );
}

/** Event ids come from one monotonic generator: a box's ids rise in the order it sends. */
const alarm = (id: string) => ({
  topic: topics.event(id, 'tricycle_passengers'),
  payload: encodeMessage('event', tricycleAlarm(newId, id)),
});

/** The heartbeats of a county (telemetry at `rate`), one message in 20 an alarm: alarm publish → notification received. */
async function steady({ db, hook, boxes, ids, o }: Run): Promise<BenchLine> {
  o.onProgress?.(`steady: ${o.rate} msg/s for ${o.seconds} s`);
  const sentAt = new Map<string, number>();
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((o.rate * tickMs) / 1000));
  const t0 = Date.now();
  let sent = 0;
  let k = 0;
  const telemetryBefore = await count(db, 'SELECT count(*) AS n FROM telemetry');
  while (Date.now() - t0 < o.seconds * 1000) {
    for (let j = 0; j < perTick; j++, k++) {
      const i = k % boxes.length;
      const id = ids[i]!;
      if (k % 20 === 0) {
        const ev = tricycleAlarm(newId, id);
        sentAt.set(ev.id, Date.now());
        void boxes[i]!.publishAsync(topics.event(id, ev.kind), encodeMessage('event', ev), { qos: 1 });
      } else {
        const t = {
          v: 1 as const,
          id: newId(),
          deviceId: id,
          ts: new Date().toISOString(),
          seq: Math.floor(k / boxes.length) % 256,
          uptimeS: k,
          drivers: {},
          flags: [],
        };
        void boxes[i]!.publishAsync(topics.telemetry(id), encodeMessage('telemetry', t), { qos: 1 });
      }
      sent++;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + (sent / o.rate) * 1000 - Date.now())));
  }
  const elapsed = (Date.now() - t0) / 1000;
  await until(() => latencies(hook, sentAt).length >= sentAt.size * 2, 60_000, 'every steady alarm notified').catch(
    () => {},
  );
  const telemetry = (await count(db, 'SELECT count(*) AS n FROM telemetry')) - telemetryBefore;
  return summary(BENCH, 'steady_ingest_to_dispatch', 'ms', latencies(hook, sentAt), {
    rate_sent: Math.round(sent / elapsed),
    seconds: Math.round(elapsed),
    alarms: sentAt.size,
    notified: latencies(hook, sentAt).length / 2,
    telemetry_stored: telemetry,
  });
}

/** Publish → notification received, for each alarm of `sentAt` the receiver has seen (village and police). */
function latencies(hook: HttpReceiver, sentAt: Map<string, number>): number[] {
  const out: number[] = [];
  for (const r of hook.got) {
    const id = /"event":\{"id":"([^"]+)"/.exec(r.raw)?.[1];
    const t = id && sentAt.get(id);
    if (t) out.push(r.at - t);
  }
  return out;
}

/** `alarms` from every box, with the consuming worker and then a broker node killed (kill -9) on the way. */
async function underKills({ rig, db, hook, boxes, ids, o }: Run): Promise<BenchLine> {
  const perBox = Math.ceil(o.alarms / boxes.length);
  const total = perBox * boxes.length;
  const eventsBefore = await count(db, 'SELECT count(*) AS n FROM events');
  const casesBefore = await count(db, 'SELECT count(*) AS n FROM cases');
  const hookBefore = hook.got.length;
  let acked = 0;
  const t0 = Date.now();
  let workerKilledAt = 0;
  let nodeKilledAt = 0;
  o.onProgress?.(`alarms under kills: ${total} from ${boxes.length} boxes`);
  await publishAll(boxes, ids, perBox, o.window, alarm, () => {
    acked++;
    if (!workerKilledAt && acked >= total / 3) {
      workerKilledAt = Date.now();
      o.onProgress?.('kill -9 of gateway worker 1 (the queues’ consumer)');
      rig.killWorker(0);
    }
    if (!nodeKilledAt && acked >= (2 * total) / 3) {
      nodeKilledAt = Date.now();
      o.onProgress?.('kill -9 of RabbitMQ node 2');
      rig.rabbit.kill(1);
    }
  });
  const stored = () => count(db, 'SELECT count(*) AS n FROM events').then((n) => n - eventsBefore);
  const cased = () => count(db, 'SELECT count(*) AS n FROM cases').then((n) => n - casesBefore);
  await until(async () => (await stored()) >= acked, 180_000, 'every alarm stored').catch(() => {});
  const storedS = (Date.now() - t0) / 1000;
  await until(async () => (await cased()) >= acked, 120_000, 'every alarm cased').catch(() => {});
  const keys = () => new Set(hook.got.slice(hookBefore).map((r) => r.headers['idempotency-key']));
  const c = await cased();
  await until(() => keys().size >= 2 * c, 120_000, 'every case notified').catch(() => {});
  const raw = hook.got.length - hookBefore;
  return value(BENCH, 'alarms_under_kills', 'alarms', total, {
    acked,
    stored: await stored(),
    cased: c,
    notified: keys().size,
    duplicate_notifications: raw - keys().size,
    order_violations: await orderViolations(db),
    takeover_ms: await firstStoredAfter(db, workerKilledAt),
    node_takeover_ms: await firstStoredAfter(db, nodeKilledAt),
    persisted_per_s: Math.round((await stored()) / storedS),
    workers: o.workers,
  });
}

/** Per box, an alarm stored strictly later (by the millisecond) than one the box sent after it. */
async function orderViolations(db: PostgresSql): Promise<number> {
  const rows = await db.all<{ d: string; at: string; id: string }>(
    'SELECT device_id AS d, received_at AS at, id FROM events ORDER BY device_id, received_at, id',
  );
  let violations = 0;
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!];
    if (a.d === b.d && a.at < b.at && a.id > b.id) violations++;
  }
  return violations;
}

async function firstStoredAfter(db: PostgresSql, t: number): Promise<number | null> {
  if (!t) return null;
  const r = await db.get<{ at: string | null }>('SELECT min(received_at) AS at FROM events WHERE received_at > ?', [
    new Date(t).toISOString(),
  ]);
  return r?.at ? Date.parse(r.at) - t : null;
}

/** A majority of nodes gone: the survivor must acknowledge nothing it cannot replicate. */
async function withoutQuorum(rig: ClusterRig, ids: string[], o: ClusterBenchOptions): Promise<BenchLine> {
  o.onProgress?.('kill -9 of RabbitMQ node 3 as well: 1 of 3 left');
  rig.rabbit.kill(2);
  await new Promise((r) => setTimeout(r, 3000));
  const node = rig.rabbit.nodes[0]!;
  const id = ids[0]!;
  let acked = 0;
  let connected = false;
  const attempts = 20;
  const c = mqtt.connect(node.mqttUrl, {
    clientId: `${id}:quorum`,
    username: id,
    password: secret(id),
    protocolVersion: 4,
    reconnectPeriod: 500,
    connectTimeout: 3000,
  });
  c.on('connect', () => (connected = true));
  c.on('error', () => {});
  for (let i = 0; i < attempts; i++) {
    const m = alarm(id);
    c.publish(m.topic, m.payload, { qos: 1 }, (e) => {
      if (!e) acked++;
    });
  }
  await new Promise((r) => setTimeout(r, 15_000));
  c.end(true);
  return value(BENCH, 'acked_without_quorum', 'publishes', acked, { attempts, connected, nodes_up: 1, nodes: 3 });
}

/** The same alarms from the same number of boxes into one gateway on its defaults (embedded broker, SQLite). */
async function singleSqlite(o: ClusterBenchOptions, hook: HttpReceiver): Promise<BenchLine> {
  o.onProgress?.(`the same ${o.alarms} alarms into one gateway on SQLite`);
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-single-'));
  const gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0, config: { responses: responses(hook.url) } });
  const boxes: MqttClient[] = [];
  try {
    await gw.start();
    const ids = Array.from({ length: o.boxes }, (_, i) => `sq-box-${String(i + 1).padStart(4, '0')}`);
    for (const id of ids) {
      await gw.services.access.credentials.addDevice(id, secret(id));
      boxes.push(
        await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort}`, {
          clientId: id,
          username: id,
          password: secret(id),
          protocolVersion: 4,
          clean: false,
        }),
      );
    }
    const perBox = Math.ceil(o.alarms / boxes.length);
    const t0 = Date.now();
    await publishAll(boxes, ids, perBox, o.window, alarm, () => {});
    const stored = async () =>
      ((await gw.context.sql.get<{ n: number }>('SELECT count(*) AS n FROM events')) as { n: number }).n;
    await until(async () => (await stored()) >= perBox * boxes.length, 180_000, 'every alarm stored');
    const s = (Date.now() - t0) / 1000;
    return value(BENCH, 'single_sqlite_persisted_per_s', 'alarms/s', (await stored()) / s, {
      alarms: perBox * boxes.length,
      boxes: boxes.length,
    });
  } finally {
    for (const b of boxes) await b.endAsync(true).catch(() => {});
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
