import type { Command } from 'commander';
import type { Logger } from 'pino';
import { emit } from './report.ts';
import { runEdgeBench } from './edge-bench.ts';
import { runGatewayBench } from './gateway-bench.ts';
import { runHwBench } from './hw-bench.ts';

export function registerBenchCli(program: Command, logger: (cmd: Command) => Logger): void {
  const bench = program
    .command('bench')
    .description('benchmarks: one JSON line per metric on stdout ({bench, metric, unit, median/p99/n or value}); logs on stderr');

  bench
    .command('hw')
    .description('Modbus framer throughput on a noisy stream, and flash() → request frame on the tty latency')
    .option('--frames <n>', 'frames in the noisy stream', '100000')
    .option('--flashes <n>', 'flash() calls measured', '300')
    .action(async (o: { frames: string; flashes: string }, cmd: Command) => {
      const log = logger(cmd);
      const lines = await runHwBench({ frames: Number(o.frames), flashes: Number(o.flashes), onProgress: (m) => log.info(m) });
      for (const l of lines) emit(l);
    });

  bench
    .command('edge')
    .description('presence trigger → light frame latency (while telemetry flows), durable outbox appends/s, resend/s after reconnect, RSS')
    .option('--triggers <n>', 'presence triggers measured', '200')
    .option('--appends <n>', 'durable outbox appends', '2000')
    .option('--resend <n>', 'queued messages resent after reconnect', '5000')
    .action(async (o: { triggers: string; appends: string; resend: string }, cmd: Command) => {
      const log = logger(cmd);
      const lines = await runEdgeBench({ triggers: Number(o.triggers), appends: Number(o.appends), resend: Number(o.resend), onProgress: (m) => log.info(m) });
      for (const l of lines) emit(l);
    });

  bench
    .command('gateway')
    .description('alarm published → all three responses sent (steady rate), sustained persisted alarms/s (burst), RSS')
    .option('--rate <n>', 'alarms per second for the latency run', '200')
    .option('--seconds <n>', 'length of the latency run', '10')
    .option('--burst <n>', 'alarms in the throughput burst', '3000')
    .option('--devices <n>', 'simulated devices publishing', '20')
    .action(async (o: { rate: string; seconds: string; burst: string; devices: string }, cmd: Command) => {
      const log = logger(cmd);
      const lines = await runGatewayBench({ rate: Number(o.rate), seconds: Number(o.seconds), burst: Number(o.burst), devices: Number(o.devices), onProgress: (m) => log.info(m) });
      for (const l of lines) emit(l);
    });
}
