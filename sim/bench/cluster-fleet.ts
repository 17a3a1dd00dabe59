import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { ClusterRig } from '../cluster/cluster-rig.ts';
import { until } from '../testing/until.ts';
import { forkBenchProcess } from './bench-process.ts';
import type { FleetReport, FleetShare } from './fleet-process.ts';
import { type BenchLine, value } from './report.ts';

/** Log-ins started at once while the fleet first connects (a county commissioned box by box would be slower still). */
const CONNECTING_AT_ONCE = 200;
/** Boxes per client process: well under this machine's 20,000 open files a process. */
const BOXES_PER_PROCESS = 5000;

/** RSS of a process and its descendants (a RabbitMQ node: its shell, beam.smp, erl_child_setup), MB, from /proc. */
function treeRssMb(root: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(fields[1]));
      rss.set(Number(d), Number(readFileSync(`/proc/${d}/statm`, 'utf8').split(' ')[1]) * 4096);
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  let bytes = 0;
  for (const [pid, b] of rss) if (inTree(pid)) bytes += b;
  return bytes / 1024 / 1024;
}

/** The fleet's client processes, each a share of the boxes, and what each last reported. */
class FleetProcesses {
  private readonly procs: ChildProcess[] = [];
  private readonly reports: FleetReport[] = [];

  constructor(boxes: [string, string][], ports: number[]) {
    const shares = Math.ceil(boxes.length / BOXES_PER_PROCESS);
    for (let k = 0; k < shares; k++) {
      const p = forkBenchProcess('fleet-process', { stdout: true });
      this.reports.push({ connected: 0, connects: 0, rssMb: 0 });
      p.on('message', (r: FleetReport) => {
        this.reports[k] = r;
      });
      const share: FleetShare = {
        boxes: boxes.slice(k * BOXES_PER_PROCESS, (k + 1) * BOXES_PER_PROCESS),
        ports,
        atOnce: Math.ceil(CONNECTING_AT_ONCE / shares),
      };
      p.send(share);
      this.procs.push(p);
    }
  }

  get connected(): number {
    return this.reports.reduce((n, r) => n + r.connected, 0);
  }

  get connects(): number {
    return this.reports.reduce((n, r) => n + r.connects, 0);
  }

  get rssMb(): number {
    return this.reports.reduce((n, r) => n + r.rssMb, 0);
  }

  async end(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
            p.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            p.send('end');
          }),
      ),
    );
  }
}

/**
 * A prefecture's fleet on the cluster: `n` boxes with their own accounts connect over the nodes
 * (RSS per box on the nodes, and on the gateway workers), then every node is killed at once and
 * started again, as a power cut in the centre would, and the fleet's return is timed.
 */
export async function connectedFleet(
  rig: ClusterRig,
  n: number,
  secret: (id: string) => string,
  onProgress: (m: string) => void = () => {},
): Promise<BenchLine[]> {
  const bench = 'cluster';
  const ids = Array.from({ length: n }, (_, i) => `fl-box-${String(i + 1).padStart(5, '0')}`);
  for (let i = 0; i < n; i += 500) {
    await rig.addDevices(ids.slice(i, i + 500), secret);
    onProgress(`fleet: ${Math.min(i + 500, n)} of ${n} accounts made`);
  }
  const nodesRss = () => rig.rabbit.pids().reduce((sum, pid) => sum + treeRssMb(pid), 0);
  const workersRss = () => rig.workers.reduce((sum, w) => sum + (w?.proc.pid ? treeRssMb(w.proc.pid) : 0), 0);
  const rssBefore = nodesRss();
  const workersBefore = workersRss();
  const began = Date.now();
  const fleet = new FleetProcesses(
    ids.map((id) => [id, secret(id)]),
    rig.rabbit.nodes.map((node) => node.mqttPort),
  );
  const progress = (what: string) => {
    let shown = 0;
    return () => {
      if (fleet.connected - shown >= 2000) onProgress(`fleet: ${(shown = fleet.connected)} of ${n} ${what}`);
      return fleet.connected >= n;
    };
  };
  try {
    await until(progress('connected'), 1_200_000, 'every box connected');
    const connectS = (Date.now() - began) / 1000;
    // Let the nodes settle (queues made, sessions written) before reading memory.
    await new Promise((r) => setTimeout(r, 20_000));
    const nodes = nodesRss() - rssBefore;
    const lines = [
      value(bench, 'fleet_connected', 'boxes', n, {
        connect_s: Math.round(connectS),
        logins_per_s: Math.round(n / connectS),
        nodes: rig.rabbit.nodes.length,
        node_rss_mb: Math.round(nodesRss()),
        node_mb_per_box: Math.round((nodes / n) * 1000) / 1000,
        worker_rss_mb_delta: Math.round(workersRss() - workersBefore),
        client_mb_per_box: Math.round((fleet.rssMb / n) * 1000) / 1000,
      }),
    ];
    onProgress('fleet: every node killed at once, then started again');
    for (let i = 0; i < rig.rabbit.nodes.length; i++) rig.rabbit.kill(i);
    const cut = Date.now();
    await until(() => fleet.connected === 0, 120_000, 'every box sees the cut');
    await rig.rabbit.restart();
    const up = Date.now();
    await until(progress('back'), 1_800_000, 'every box back').catch(() => {});
    lines.push(
      value(bench, 'fleet_reconnect', 's', (Date.now() - up) / 1000, {
        boxes: n,
        back: fleet.connected,
        nodes_restart_s: Math.round((up - cut) / 1000),
        goal_s: 300,
      }),
    );
    return lines;
  } finally {
    await fleet.end();
  }
}
