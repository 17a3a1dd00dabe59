import type { Command } from 'commander';
import type { Logger } from 'pino';
import { untilSignal } from '../../bin/cli-context.ts';

export function registerDemoCli(program: Command, logger: (cmd: Command) => Logger): void {
  program
    .command('demo')
    .description('the main job (npm start): a county gateway, three simulated boxes, one alarm and its three responses')
    .option('--once', 'use free ports and a temporary data dir, play the scenario, and exit')
    .option('--json', 'print the summary as one JSON line at the end of stdout')
    .option('--mqtt-port <n>', 'gateway MQTT port (default 1884, or any free one)', Number)
    .option('--http-port <n>', 'gateway HTTP port (default 8080, or any free one)', Number)
    .action(async (o: { once?: boolean; json?: boolean; mqttPort?: number; httpPort?: number }, cmd: Command) => {
      const log = logger(cmd);
      const say = o.json ? (l: string) => process.stderr.write(`${l}\n`) : undefined;
      const { runDemo } = await import('./demo.ts');
      const demo = await runDemo({ once: o.once, mqttPort: o.mqttPort, httpPort: o.httpPort, logger: log, say });
      const { summary } = demo;
      if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (summary.case !== 'closed') {
        process.stderr.write(
          `demo failed: case ${summary.case_id} did not close (${JSON.stringify(summary.responses)})\n`,
        );
        process.exitCode = 1;
      }
      if (o.once) {
        await demo.stop();
        return;
      }
      const base = `http://127.0.0.1:${demo.gateway.httpPort}`;
      process.stdout.write(
        `\nThe gateway keeps running.\n` +
          `  Dashboard: ${base}/   (log in as ${demo.dashboard.user}, password ${demo.dashboard.password})\n` +
          `Or the API (admin token below):\n` +
          `  curl -H 'Authorization: Bearer ${demo.adminToken}' ${base}/api/v1/cases/${summary.case_id}\n` +
          `  curl -H 'Authorization: Bearer ${demo.adminToken}' ${base}/api/v1/devices\n` +
          `  curl ${base}/metrics\n` +
          `  mosquitto_sub -p ${demo.gateway.mqttPort!} -V mqttv311 -u ${demo.dashboard.user} -P '${demo.dashboard.password}' -t 'rw/v1/+/status' -v   (the same log-in works on MQTT)\n` +
          `Ctrl-C stops everything.\n`,
      );
      await untilSignal();
      await demo.stop();
    });
}
