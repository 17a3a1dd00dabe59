import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { TrialRequest } from './ota/trial.ts';
import { registerSelftestCli } from './selftest/cli.ts';
import { registerCommissionCli } from './commission/cli.ts';
import { registerPackCli } from './ota/cli.ts';
import { registerRecognizeCli } from './vision/cli.ts';

interface EdgeOpts {
  config: string;
  checkConfig?: boolean;
  dataDir?: string;
  envFile?: string;
  otaTrial?: string;
}

export function registerEdgeCli(
  program: Command,
  logger: (cmd: Command) => Logger,
  untilSignal: () => Promise<NodeJS.Signals>,
): void {
  registerCommissionCli(program, logger);
  registerSelftestCli(program, logger);
  registerRecognizeCli(program, logger);
  registerPackCli(program);
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
    .option('--ota-trial <file>', 'run as a new version on trial (the running agent starts it during an update)')
    .action(async (o: EdgeOpts, cmd: Command) => {
      if (o.envFile) process.loadEnvFile(o.envFile);
      const { loadEdgeConfig } = await import('./config/load-config.ts');
      const { edgeDataDir } = await import('./config/schema.ts');
      const { withInstalledParts } = await import('./ota/installed-parts.ts');
      const base = loadEdgeConfig(o.config);
      if (o.dataDir) base.dataDir = o.dataDir;
      // A new version on trial runs as the box until it is healthy, says so, and stops; new models
      // or a new template are tried in place of the installed ones.
      const trial = o.otaTrial ? (JSON.parse(readFileSync(o.otaTrial, 'utf8')) as TrialRequest) : undefined;
      const kind = trial?.manifest.kind;
      const { config, parts, problems } = withInstalledParts(base, {
        dataDir: edgeDataDir(base),
        file: o.config,
        trying: trial && kind !== 'agent' ? { kind: kind!, dir: trial.candidate } : undefined,
      });
      if (o.checkConfig) {
        const also = Object.values(parts).length ? ` with ${Object.values(parts).join(', ')}` : '';
        process.stdout.write(
          `${o.config}: valid (device ${config.device.id}, ${config.rules?.length ?? 0} rules, ${config.schedules?.length ?? 0} schedules)${also}\n`,
        );
        for (const p of problems) process.stdout.write(`warning: ${p}\n`);
        return;
      }
      const log = logger(cmd);
      for (const p of problems) log.error(p);
      const { EdgeAgent } = await import('./agent.ts');
      const options = { config, parts, baseConfig: base, configFile: o.config, logger: log };
      if (trial) {
        const { awaitHealthy, trialFiles } = await import('./ota/trial.ts');
        const agent = new EdgeAgent(options);
        await agent.start();
        const verdict = await awaitHealthy(agent.trialSubject(), trial);
        writeFileSync(trialFiles(edgeDataDir(config)).verdict, JSON.stringify(verdict), { mode: 0o600 });
        await agent.stop();
        process.exitCode = verdict.ok ? 0 : 1;
        return;
      }
      let updateReady: (t: TrialRequest) => void = () => {};
      const update = new Promise<TrialRequest>((r) => (updateReady = r));
      const agent = new EdgeAgent({ ...options, onUpdateReady: (t) => updateReady(t) });
      // Caught from before the ready line: a stop just after it must not find no handler.
      const signal = untilSignal();
      await agent.start();
      const why = await Promise.race([signal, update]);
      if (typeof why === 'string') {
        log.info({ signal: why }, 'stopping edge agent');
        await agent.stop();
        return;
      }
      log.info({ version: why.manifest.version }, 'stopping edge agent to try the new version');
      await agent.stop();
      const { tryUpdate } = await import('./ota/update-outcome.ts');
      // The candidate runs with this process's options.
      const args = [
        ...['--config', o.config],
        ...(o.dataDir ? ['--data-dir', o.dataDir] : []),
        ...(o.envFile ? ['--env-file', o.envFile] : []),
      ];
      await tryUpdate(why, { dataDir: edgeDataDir(config), args, logger: log });
      // The service manager starts what `current` now points at (systemd: Restart=always).
      process.exit(0);
    });
}
