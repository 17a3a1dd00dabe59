import type { Command } from 'commander';
import type { Logger } from 'pino';
import { registerSelftestCli } from './selftest/cli.ts';
import { registerCommissionCli } from './commission/cli.ts';
import { registerRecognizeCli } from './vision/cli.ts';

interface EdgeOpts {
  config: string;
  checkConfig?: boolean;
  dataDir?: string;
  envFile?: string;
}

export function registerEdgeCli(
  program: Command,
  logger: (cmd: Command) => Logger,
  untilSignal: () => Promise<NodeJS.Signals>,
): void {
  registerCommissionCli(program, logger);
  registerSelftestCli(program, logger);
  registerRecognizeCli(program, logger);
  program
    .command('edge')
    .description('run one roadside box: local warnings, schedules, commands, reports over MQTT')
    .requiredOption('--config <file>', 'edge.yaml (see examples/edge.yaml)')
    .option('--check-config', 'validate the config and exit (0 = valid)')
    .option('--data-dir <dir>', 'override dataDir from the config (outbox, voice clips)')
    .option(
      '--env-file <file>',
      'load secrets (RW_DEVICE_PASSWORD …) from this file, as written by `roadwarden commission`',
    )
    .action(async (o: EdgeOpts, cmd: Command) => {
      if (o.envFile) process.loadEnvFile(o.envFile);
      const { loadEdgeConfig } = await import('./config/load-config.ts');
      const config = loadEdgeConfig(o.config);
      if (o.dataDir) config.dataDir = o.dataDir;
      if (o.checkConfig) {
        process.stdout.write(
          `${o.config}: valid (device ${config.device.id}, ${config.rules?.length ?? 0} rules, ${config.schedules?.length ?? 0} schedules)\n`,
        );
        return;
      }
      const log = logger(cmd);
      const { EdgeAgent } = await import('./agent.ts');
      const agent = new EdgeAgent({ config, logger: log });
      await agent.start();
      const sig = await untilSignal();
      log.info({ signal: sig }, 'stopping edge agent');
      await agent.stop();
    });
}
