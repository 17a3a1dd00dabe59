import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { CheckResult } from '../../hardware/index.ts';

interface SelftestOpts {
  config: string;
  envFile?: string;
  sensorWait: string;
  snapshot: string;
  clip: string;
  by?: string;
  report?: string;
  json?: boolean;
}

/** A live checklist: on a terminal each check shows as running, then turns into PASS/FAIL in place. */
function checklist(json: boolean, formatCheck: (r: CheckResult) => string) {
  const tty = process.stdout.isTTY && !json;
  return {
    onStart: (device: string, check: string) => {
      if (tty) process.stdout.write(`....  ${device.padEnd(8)} ${check}`);
    },
    onResult: (r: CheckResult) => {
      if (json) return;
      process.stdout.write(`${tty ? '\r\x1b[K' : ''}${formatCheck(r)}\n`);
    },
  };
}

export function registerSelftestCli(program: Command, logger: (cmd: Command) => Logger): void {
  program
    .command('selftest')
    .description(
      'on the box: test every light channel, the speaker, sensors (by hand), the camera, the gateway and the clock; report to the gateway',
    )
    .requiredOption('--config <file>', 'the box’s edge.yaml')
    .option(
      '--env-file <file>',
      'load secrets (RW_DEVICE_PASSWORD …) from this file, as written by `roadwarden commission`',
    )
    .option(
      '--sensor-wait <seconds>',
      'wait this long for you to trigger each sensor by hand (0 = only check it answers)',
      '30',
    )
    .option('--snapshot <file>', 'save the camera’s test frame here, to look at', 'selftest-frame.jpg')
    .option('--clip <n>', 'track played as the speaker test', '1')
    .option('--by <name>', 'your name, filed with the report (default: $RW_TECHNICIAN)')
    .option('--report <file>', 'also write the JSON report to this file')
    .option('--json', 'print only the JSON report')
    .addHelpText(
      'after',
      '\nWith the edge agent running, the agent runs the checks on its own drivers and link (its control socket in the data dir); otherwise this command opens the hardware itself.\nExit code 0 when every check passed, 1 otherwise.',
    )
    .action(async (o: SelftestOpts, cmd: Command) => {
      if (o.envFile) process.loadEnvFile(o.envFile);
      const [{ loadEdgeConfig }, { runBoxSelfTest }, { formatCheck }] = await Promise.all([
        import('../config/load-config.ts'),
        import('./box-self-test.ts'),
        import('../../hardware/index.ts'),
      ]);
      const config = loadEdgeConfig(o.config);
      const log = logger(cmd);
      const by = o.by ?? process.env.RW_TECHNICIAN;
      const hooks = checklist(o.json === true, formatCheck);
      const { controlSocketPath, selfTestThroughAgent } = await import('../control-socket.ts');
      // A running agent holds the ports and the box's MQTT session: it runs the checks itself.
      const viaAgent = await selfTestThroughAgent(
        controlSocketPath(config),
        {
          cmd: 'selftest',
          sensorWaitMs: Number(o.sensorWait) * 1000,
          snapshotPath: o.snapshot,
          clip: Number(o.clip),
          by,
        },
        hooks,
      );
      if (viaAgent && !o.json) process.stdout.write('(run by the edge agent on this box, which keeps running)\n');
      const { report, delivery } =
        viaAgent ??
        (await runBoxSelfTest({
          config,
          sensorWaitMs: Number(o.sensorWait) * 1000,
          snapshotPath: o.snapshot,
          clip: Number(o.clip),
          by,
          logger: log,
          ...hooks,
        }));
      if (o.report) writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
      const failed = report.checks.filter((c) => !c.ok).length;
      if (o.json) process.stdout.write(`${JSON.stringify({ ...report, delivery })}\n`);
      else {
        const where =
          delivery === 'sent'
            ? 'report sent to the gateway'
            : viaAgent
              ? "report in the agent's outbox, on its way to the gateway"
              : 'gateway not reachable: report kept on the box, the agent sends it when the link is back';
        process.stdout.write(
          `${failed ? `self-test FAILED: ${failed} of ${report.checks.length} checks` : `self-test PASSED: every check (${report.checks.length})`} — ${where} (report ${report.id})\n`,
        );
      }
      process.exitCode = failed ? 1 : 0;
    });
}
