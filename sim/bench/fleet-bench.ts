import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { CredentialStore, deviceAuthKey, loadStorageKey, openSqliteStore } from '../../gateway/index.ts';
import { createIdGenerator, topics, type TelemetryMessage } from '../../protocols/index.ts';
import { spawnGateway } from '../testing/gateway-process.ts';
import { until } from '../testing/until.ts';
import { value, type BenchLine } from './report.ts';

export interface FleetBenchOptions {
  /** Fleet sizes measured in turn on one gateway, e.g. [1000, 10000]. */
  fleet?: number[];
  heartbeatS?: number;
  /** Measuring window at each fleet size. */
  windowS?: number;
  /** QoS 1 messages for the publish throughput run (gateway, then Mosquitto). */
  messages?: number;
  mosquittoUrl?: string;
  onProgress?: (m: string) => void;
}

const PASSWORD = 'fleet-bench-password';
/** Each box its own secret, as commissioned. */
const devicePassword = (id: string) => `${PASSWORD}-${id}`;
const newId = createIdGenerator();
const CLK_TCK = 100;

/** The gateway process's CPU ticks (user + system) and resident memory, from /proc. */
function procStats(pid: number): { ticks: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { ticks: Number(f[11]) + Number(f[12]), rssMb: Math.round(rssKb / 102.4) / 10 };
}

/** A box reduced to its MQTT session: connect with its own credentials, then a telemetry heartbeat. */
class RawDevice {
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private messageId = 0;
  sent = 0;

  constructor(readonly id: string) {}

  connect(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      this.socket = s;
      s.once('error', reject);
      s.once('data', (d: Buffer) =>
        d[0] === 0x20 && d[3] === 0 ? resolve() : reject(new Error(`${this.id}: CONNACK refused (${d[3]})`)),
      );
      s.on('data', () => undefined); // PUBACKs: read and drop
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: this.id,
          username: this.id,
          password: Buffer.from(devicePassword(this.id)),
          keepalive: 120,
          clean: true,
        }),
      );
    });
  }

  heartbeat(everyMs: number): void {
    const beat = () => {
      const m: TelemetryMessage = {
        v: 1,
        id: newId(),
        deviceId: this.id,
        ts: new Date().toISOString(),
        seq: this.seq++ % 256,
        uptimeS: this.seq,
        drivers: {},
        flags: [],
      };
      this.messageId = (this.messageId % 65535) + 1;
      this.socket?.write(
        mqttPacket.generate({
          cmd: 'publish',
          topic: topics.telemetry(this.id),
          payload: Buffer.from(JSON.stringify(m)),
          qos: 1,
          messageId: this.messageId,
          retain: false,
          dup: false,
        }),
      );
      this.sent++;
    };
    // Spread over the interval, as a real fleet's clocks are.
    this.timer = setTimeout(() => {
      beat();
      this.timer = setInterval(beat, everyMs);
    }, Math.random() * everyMs);
  }

  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.socket?.destroy();
  }
}

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** QoS 1 messages from one client to another through a broker, with up to `window` in flight. */
async function throughput(
  url: string,
  auth: { pub?: object; sub?: object },
  topic: string,
  n: number,
  window = 200,
): Promise<number> {
  const sub = await mqtt.connectAsync(url, { ...auth.sub, clean: true, reconnectPeriod: 0 });
  const pub = await mqtt.connectAsync(url, { ...auth.pub, clean: true, reconnectPeriod: 0 });
  try {
    let got = 0;
    sub.on('message', () => got++);
    await sub.subscribeAsync(topic, { qos: 1 });
    const payload = Buffer.from(JSON.stringify({ v: 1, kind: 'bench', pad: 'x'.repeat(160) }));
    const t0 = performance.now();
    await pool(
      Array.from({ length: n }, (_, i) => i),
      window,
      () => pub.publishAsync(topic, payload, { qos: 1 }).then(() => undefined),
    );
    await until(() => got >= n, 60_000, `${n} messages through ${url}`);
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all([pub.endAsync(), sub.endAsync()]);
  }
}

/**
 * The gateway as a separate process (as deployed): publish throughput next to plain Mosquitto,
 * then fleets of simulated boxes, each on its own connection with its own credentials and a
 * telemetry heartbeat; the gateway's own RSS and CPU are read from /proc.
 */
export async function runFleetBench(o: FleetBenchOptions = {}): Promise<BenchLine[]> {
  const fleet = [...(o.fleet ?? [1000, 10000])].sort((a, b) => a - b);
  const heartbeatS = o.heartbeatS ?? 30;
  const windowS = o.windowS ?? 30;
  const n = o.messages ?? 20_000;
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-fleet-'));
  const lines: BenchLine[] = [];
  const devices: RawDevice[] = [];
  // Credentials: every box its own password, kept as the gateway keeps a box's secret (HMAC under
  // its device-auth key), so each connect after a restart costs one HMAC check, as in the field.
  const db = openSqliteStore(dir, loadStorageKey({}, dir));
  const ids = Array.from({ length: fleet.at(-1) ?? 0 }, (_, i) => `fleet-${String(i).padStart(5, '0')}`);
  const creds = new CredentialStore(db, deviceAuthKey(dir));
  for (const id of ids) await creds.addDevice(id, devicePassword(id));
  await creds.addOperator('bench-pub', PASSWORD, 'gateway');
  await creds.addOperator('bench-sub', PASSWORD, 'police');
  await db.close();
  let gw = await spawnGateway(['--mqtt-port', '0', '--http-port', '0', '--data-dir', dir]);
  const pid = gw.proc.pid!;
  try {
    o.onProgress?.(`publish throughput: ${n} QoS 1 messages through the gateway`);
    const ours = await throughput(
      `mqtt://127.0.0.1:${gw.mqttPort}`,
      {
        pub: { username: 'bench-pub', clientId: 'bench-pub', password: PASSWORD },
        sub: { username: 'bench-sub', clientId: 'bench-sub', password: PASSWORD },
      },
      'rw-county/v1/bench/load',
      n,
    );
    o.onProgress?.(`publish throughput: ${n} QoS 1 messages through Mosquitto`);
    const mosquittoUrl = o.mosquittoUrl ?? 'mqtt://127.0.0.1:1883';
    const theirs = await throughput(mosquittoUrl, {}, `rw-bench/${newId()}/load`, n).catch(() => NaN);
    lines.push(
      value('gateway', 'publish_per_s', 'msgs/s', ours, {
        n,
        qos: 1,
        in_flight: 200,
        mosquitto_per_s: Number.isNaN(theirs) ? null : Math.round(theirs),
        ratio_vs_mosquitto: Number.isNaN(theirs) ? null : Math.round((ours / theirs) * 1000) / 1000,
        ...(Number.isNaN(theirs) ? { note: `no Mosquitto at ${mosquittoUrl}` } : {}),
      }),
    );

    for (const size of fleet) {
      const fresh = ids.slice(devices.length, size).map((id) => new RawDevice(id));
      const c0 = performance.now();
      let done = 0;
      await pool(fresh, 64, async (d) => {
        await d.connect(gw.mqttPort);
        devices.push(d);
        d.heartbeat(heartbeatS * 1000);
        if (++done % 1000 === 0) o.onProgress?.(`fleet: ${devices.length}/${size} boxes connected`);
      });
      const connectS = (performance.now() - c0) / 1000;
      o.onProgress?.(`fleet: ${size} boxes connected in ${connectS.toFixed(1)} s; measuring ${windowS} s`);
      const health = async () =>
        ((await (await fetch(`http://127.0.0.1:${gw.httpPort}/health`)).json()) as { intake: { stored: number } })
          .intake.stored;
      const s0 = procStats(pid);
      const stored0 = await health();
      const sent0 = devices.reduce((a, d) => a + d.sent, 0);
      await new Promise((r) => setTimeout(r, windowS * 1000));
      const s1 = procStats(pid);
      const sent = devices.reduce((a, d) => a + d.sent, 0) - sent0;
      const stored = (await health()) - stored0;
      lines.push(
        value('gateway', 'devices_connected', 'devices', devices.length, {
          rss_mb: s1.rssMb,
          cpu_pct: Math.round(((s1.ticks - s0.ticks) / CLK_TCK / windowS) * 1000) / 10,
          heartbeat_s: heartbeatS,
          window_s: windowS,
          heartbeats_sent: sent,
          heartbeats_stored: stored,
          connect_s: Math.round(connectS * 10) / 10,
          connects_per_s: Math.round(fresh.length / connectS),
          process: 'gateway alone (separate process)',
        }),
      );
    }
    // The whole fleet reconnects at once after a gateway restart (nothing cached in memory).
    if (devices.length) {
      for (const d of devices) d.close();
      gw.proc.kill('SIGTERM');
      await new Promise((r) => gw.proc.once('exit', r));
      gw = await spawnGateway(['--mqtt-port', '0', '--http-port', '0', '--data-dir', dir]);
      o.onProgress?.(`reconnect: ${devices.length} boxes at once after a gateway restart`);
      const r0 = performance.now();
      let back = 0;
      await pool(devices, 500, async (d) => {
        await d.connect(gw.mqttPort);
        if (++back % 1000 === 0) o.onProgress?.(`reconnect: ${back}/${devices.length} boxes back`);
      });
      const reconnectS = (performance.now() - r0) / 1000;
      lines.push(
        value('gateway', 'reconnect_all_s', 's', Math.round(reconnectS * 1000) / 1000, {
          devices: devices.length,
          reconnects_per_s: Math.round(devices.length / reconnectS),
          in_flight: 500,
          credentials: 'one per box, HMAC-SHA256 under the device-auth key',
          after: 'gateway restart (no cached log-ins)',
        }),
      );
    }
    return lines;
  } finally {
    for (const d of devices) d.close();
    gw.proc.kill('SIGTERM');
    await new Promise((r) => gw.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
