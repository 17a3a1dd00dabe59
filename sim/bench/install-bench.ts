import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../testing/free-ports.ts';
import { addDevices, BIN, gatewayArgs } from '../testing/gateway-process.ts';
import { type StartedProcess, startProcess, stopProcess } from '../testing/process-start.ts';
import { installRelease } from '../testing/release-install.ts';
import { type BenchLine, summary, value } from './report.ts';

export interface InstallBenchOptions {
  /** starts measured per program and runtime (after one that is not counted) */
  runs: number;
  onProgress?: (m: string) => void;
}

const BOX = 'lc-bench-start-01';
const BOX_PASSWORD = 'bench-start-secret';
const MB = 1024 * 1024;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** `runs` starts of one program (a restart, as after a reboot: its data dir kept), measured to its "up" line. */
async function measureStarts(
  runs: number,
  start: () => Promise<StartedProcess>,
): Promise<{ startMs: number[]; rssMb: number[] }> {
  const startMs: number[] = [];
  const rssMb: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const s = await start();
    await stopProcess(s.proc);
    if (i === 0) continue; // the first makes the data dir and its database
    startMs.push(s.startMs);
    rssMb.push(s.rssMb);
  }
  return { startMs, rssMb };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * A release as a box and a county server install it (bundle, `npm ci --omit=dev` in a clean folder),
 * then start time and RSS of the gateway and the box agent, compiled (the install) against the
 * sources through tsx (this checkout).
 */
export async function runInstallBench(o: InstallBenchOptions): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-install-'));
  const lines: BenchLine[] = [];
  const running: StartedProcess[] = [];
  try {
    const installs = await Promise.all(
      (['gateway', 'edge'] as const).map((t) => installRelease(t, join(dir, t), o.onProgress)),
    );
    for (const r of installs)
      lines.push(
        value('install', 'npm_ci_omit_dev', 's', r.npmCiS, {
          target: r.target,
          version: r.version,
          bundle_mb: round1(r.bundleBytes / MB),
          node_modules_mb: round1(r.nodeModulesBytes / MB),
        }),
      );
    const [gateway, edge] = installs;
    const [mqttPort, httpPort] = await freePorts(2);
    const runtimes = [
      { runtime: 'compiled', gatewayBin: gateway!.bin, edgeBin: edge!.bin },
      { runtime: 'tsx', gatewayBin: BIN, edgeBin: BIN },
    ];
    const gatewayCommand = (data: string) => [
      '--log-level',
      'warn',
      'gateway',
      ...gatewayArgs(undefined, mqttPort!, httpPort!, data),
    ];
    for (const r of runtimes) {
      o.onProgress?.(`gateway starts, ${r.runtime}`);
      const data = join(dir, `gateway-data-${r.runtime}`);
      const m = await measureStarts(o.runs, () => startProcess(r.gatewayBin, gatewayCommand(data), /HTTP API on port/));
      lines.push(
        summary('install', 'gateway_start', 'ms', m.startMs, { runtime: r.runtime, rss_mb: round1(median(m.rssMb)) }),
      );
    }
    // The boxes start against a running gateway: their RSS is taken once connected.
    const gwData = join(dir, 'gateway-data-compiled');
    await addDevices(gwData, [{ id: BOX, password: BOX_PASSWORD }], gateway!.bin);
    running.push(await startProcess(gateway!.bin, gatewayCommand(gwData), /HTTP API on port/));
    for (const r of runtimes) {
      o.onProgress?.(`box agent starts, ${r.runtime}`);
      const config = join(dir, `edge-${r.runtime}.yaml`);
      writeFileSync(
        config,
        `device: { id: ${BOX} }
gateway: { url: "mqtt://127.0.0.1:${mqttPort}", username: ${BOX}, password: "\${RW_DEVICE_PASSWORD}" }
hardware: {}
dataDir: ${join(dir, `edge-data-${r.runtime}`)}
`,
      );
      const m = await measureStarts(o.runs, () =>
        startProcess(r.edgeBin, ['edge', '--config', config], /edge agent started/, {
          env: { RW_DEVICE_PASSWORD: BOX_PASSWORD },
          settleMs: 2000,
        }),
      );
      lines.push(
        summary('install', 'edge_start', 'ms', m.startMs, { runtime: r.runtime, rss_mb: round1(median(m.rssMb)) }),
      );
    }
    return lines;
  } finally {
    for (const s of running) await stopProcess(s.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}
