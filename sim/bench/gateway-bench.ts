import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Gateway, type GatewayConfig, type Metrics, type ResponseRow } from '../../gateway/index.ts';
import { testPgStorage } from '../testing/sql-stores.ts';
import type { Histogram } from 'prom-client';
import { createIdGenerator, encodeMessage, topics } from '../../protocols/index.ts';
import { until } from '../testing/until.ts';
import { quantileOf } from './histogram-quantile.ts';
import { rssMb, summary, value, type BenchLine } from './report.ts';
import { tricycleAlarm } from '../testing/alarm.ts';

export interface GatewayBenchOptions {
  /** A gateway.yaml storage section (PostgreSQL); SQLite in a temporary data dir without it. */
  storage?: GatewayConfig['storage'];
  rate?: number;
  seconds?: number;
  burst?: number;
  devices?: number;
  onProgress?: (m: string) => void;
  logger?: Logger;
}

const newId = createIdGenerator();

async function receiver(): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    for await (const _ of req);
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** The same runs on each store, every line marked with the store it measured. */
export async function runGatewayBenchOn(
  storages: Array<'sqlite' | 'postgres'>,
  o: GatewayBenchOptions = {},
): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  for (const storage of storages) {
    const pg = storage === 'postgres' ? testPgStorage(process.env.RW_BENCH_PG_URL) : undefined;
    try {
      const got = await runGatewayBench({ ...o, storage: pg?.storage });
      lines.push(...got.map((l) => ({ ...l, storage })));
    } finally {
      await pg?.drop();
    }
  }
  return lines;
}

/**
 * The gateway under alarm load over real MQTT: devices publish alarms, intake validates and
 * stores them, the engine opens cases and sends village and police webhooks to a local receiver.
 */
export async function runGatewayBench(o: GatewayBenchOptions = {}): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-gw-'));
  const hook = await receiver();
  const secret = 'bench-secret-bench-secret';
  const gw = new Gateway({
    dataDir: dir,
    mqttPort: 0,
    httpPort: 0,
    logger: o.logger,
    config: {
      ...(o.storage && { storage: o.storage }),
      responses: {
        channels: { v: { type: 'webhook', url: hook.url, secret }, p: { type: 'webhook', url: hook.url, secret } },
        plans: [
          {
            kinds: ['tricycle_passengers'],
            onsite: { voice: { clip: 2 } },
            village: { channel: 'v', ackDeadlineS: 3600 },
            police: { channel: 'p', ackDeadlineS: 3600 },
          },
        ],
      },
    },
  });
  await gw.start();
  const ids = Array.from({ length: o.devices ?? 20 }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
  for (const id of ids) await gw.services.access.credentials.addDevice(id, `${id}-password`);
  const clients: MqttClient[] = await Promise.all(
    ids.map(async (id) => {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort!}`, {
        clientId: id,
        username: id,
        password: `${id}-password`,
        clean: false,
      });
      // As the edge agent's link does: an alarm goes out at once.
      (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      return c;
    }),
  );
  // When each case has all three responses sent.
  const publishedAt = new Map<string, number>();
  const sentAt = new Map<string, number>();
  const sentCount = new Map<string, number>();
  gw.services.responses.engine!.on('change', (r: ResponseRow) => {
    if (r.state !== 'sent') return;
    const n = (sentCount.get(r.caseId) ?? 0) + 1;
    sentCount.set(r.caseId, n);
    if (n === 3) sentAt.set(r.caseId, performance.now());
  });
  const warm = new Set<string>();
  const warmupCount = o.rate ?? 200;
  const publish = (i: number) => {
    const c = clients[i % clients.length];
    const deviceId = ids[i % ids.length];
    const ev = tricycleAlarm(newId, deviceId, { i });
    publishedAt.set(ev.id, performance.now());
    if (i < warmupCount) warm.add(ev.id);
    return c.publishAsync(topics.event(deviceId, ev.kind), encodeMessage('event', ev), { qos: 1 });
  };
  // Which event each case is for, as the engine announces them.
  const eventOf = new Map<string, string>();
  gw.services.responses.engine!.on('case', (c: { id: string; eventId: string }) => eventOf.set(c.id, c.eventId));
  const steady = async (rate: number, from: number, count: number, what: string) => {
    const t0 = performance.now();
    for (let k = 0; k < count; k++) {
      const wait = t0 + (k * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      void publish(from + k);
      if (k % rate === rate - 1) o.onProgress?.(`${what}: ${k + 1}/${count} alarms`);
    }
    const progress = setInterval(() => o.onProgress?.(`dispatched ${sentAt.size}/${from + count} cases`), 5000);
    await until(() => sentAt.size >= from + count, 60_000, 'all cases dispatched').finally(() =>
      clearInterval(progress),
    );
  };
  try {
    // 1. Latency at a steady rate, after a second at that rate not counted (first connections, JIT):
    // the histograms start afresh after it.
    const rate = o.rate ?? 200;
    const total = warmupCount + rate * (o.seconds ?? 10);
    await steady(rate, 0, warmupCount, 'warm-up');
    gw.context.metrics.resetMetrics();
    await steady(rate, warmupCount, total - warmupCount, 'steady load');
    const lat = [...sentAt]
      .filter(([caseId]) => !warm.has(eventOf.get(caseId)!))
      .map(([caseId, t]) => t - publishedAt.get(eventOf.get(caseId)!)!);
    const lines = [
      summary('gateway', 'ingest_to_dispatch_ms', 'ms', lat, {
        rate_per_s: rate,
        warmup_s: 1,
        devices: ids.length,
        responses: 'onsite command + 2 signed webhooks',
      }),
    ];
    lines.push(...(await stages(gw.context.metrics, rate)));

    // 2. Sustained maximum: a burst, counted until every alarm is persisted as a case.
    const burst = o.burst ?? 3000;
    const before = eventOf.size;
    const b0 = performance.now();
    const pubs: Promise<unknown>[] = [];
    for (let i = 0; i < burst; i++) pubs.push(publish(total + i));
    let acked = 0;
    for (const p of pubs) void p.then(() => acked++);
    await until(() => acked === burst, 120_000, `all ${burst} alarms acknowledged by the broker`);
    // A case is announced once it and its three responses are committed.
    await until(() => eventOf.size >= before + burst, 120_000, 'burst persisted');
    lines.push(
      value('gateway', 'alarms_per_s', 'alarms/s', burst / ((performance.now() - b0) / 1000), {
        n: burst,
        persisted: `event + case + 3 responses in ${o.storage ? 'PostgreSQL' : 'SQLite'}`,
      }),
    );
    lines.push(value('gateway', 'rss_mb', 'MB', rssMb()));
    return lines;
  } catch (e) {
    o.onProgress?.(`failed: ${(e as Error).message}`);
    throw e;
  } finally {
    // Forced: a client still waiting for acks must not hide the error that got us here.
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await gw.stop();
    hook.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the steady run's time went, from the gateway's own histograms (bucket estimates, ms). */
async function stages(m: Metrics, rate: number): Promise<BenchLine[]> {
  const ms = (s: number) => Math.round(s * 100000) / 100;
  const out: BenchLine[] = [];
  const stage = async (stage: string, name: string, labels: Record<string, string> = {}) => {
    const h = m.getSingleMetric(name) as Histogram<string> | undefined;
    if (!h) return;
    const [p50, p99] = await Promise.all([quantileOf(h, 0.5, labels), quantileOf(h, 0.99, labels)]);
    out.push({
      bench: 'gateway',
      metric: 'stage_ms',
      unit: 'ms',
      stage,
      median: ms(p50.value),
      p99: ms(p99.value),
      n: p50.count,
      rate_per_s: rate,
      from: name,
    });
  };
  await stage('intake: validate + store', 'rw_intake_store_seconds', { kind: 'event' });
  await stage('case + 3 responses written', 'rw_alarm_case_seconds');
  await stage('stored → all three sent', 'rw_alarm_dispatch_seconds');
  const deliveries = (m.getSingleMetric('rw_delivery_seconds') as Histogram<string> | undefined)?.get();
  const channels = new Set(
    ((await deliveries)?.values ?? []).map((v) => String(v.labels.channel ?? '')).filter(Boolean),
  );
  for (const c of channels) await stage(`channel ${c}`, 'rw_delivery_seconds', { channel: c });
  return out;
}
