import type { Command } from 'commander';
import type { Logger } from 'pino';
import { runEdgeBench } from './edge-bench.ts';
import { runGatewayBench } from './gateway-bench.ts';
import { runHwBench } from './hw-bench.ts';
import { emit, type BenchLine } from './report.ts';

interface BenchSpec {
  name: string;
  description: string;
  /** option name (also the numeric option key), help, default */
  options: Array<[string, string, string]>;
  run: (o: Record<string, number>, onProgress: (m: string) => void) => Promise<BenchLine[]>;
}

const BENCHES: BenchSpec[] = [
  {
    name: 'hw',
    description: 'Modbus framer throughput on a noisy stream, and flash() → request frame on the tty latency',
    options: [
      ['frames', 'frames in the noisy stream', '100000'],
      ['flashes', 'flash() calls measured', '300'],
    ],
    run: (o, onProgress) => runHwBench({ frames: o.frames, flashes: o.flashes, onProgress }),
  },
  {
    name: 'edge',
    description: 'presence trigger → light frame latency (while telemetry flows), durable outbox appends/s, resend/s after reconnect, RSS',
    options: [
      ['triggers', 'presence triggers measured', '200'],
      ['appends', 'durable outbox appends', '2000'],
      ['resend', 'queued messages resent after reconnect', '5000'],
    ],
    run: (o, onProgress) => runEdgeBench({ triggers: o.triggers, appends: o.appends, resend: o.resend, onProgress }),
  },
  {
    name: 'gateway',
    description: 'alarm published → all three responses sent (steady rate), sustained persisted alarms/s (burst), RSS',
    options: [
      ['rate', 'alarms per second for the latency run', '200'],
      ['seconds', 'length of the latency run', '10'],
      ['burst', 'alarms in the throughput burst', '3000'],
      ['devices', 'simulated devices publishing', '20'],
    ],
    run: (o, onProgress) => runGatewayBench({ rate: o.rate, seconds: o.seconds, burst: o.burst, devices: o.devices, onProgress }),
  },
];

export function registerBenchCli(program: Command, logger: (cmd: Command) => Logger): void {
  const bench = program
    .command('bench')
    .description('benchmarks: one JSON line per metric on stdout ({bench, metric, unit, median/p99/n or value}); logs on stderr');
  for (const b of BENCHES) {
    const cmd = bench.command(b.name).description(b.description);
    for (const [name, help, def] of b.options) cmd.option(`--${name} <n>`, help, def);
    cmd.action(async (o: Record<string, string>, c: Command) => {
      const log = logger(c);
      const nums = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(v)]));
      for (const l of await b.run(nums, (m) => log.info(m))) emit(l);
    });
  }
}
