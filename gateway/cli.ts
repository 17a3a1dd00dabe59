import type { Command } from 'commander';
import type { Logger } from 'pino';
import { registerAccessCli } from './access/cli.ts';
import { registerArchiveCli } from './archive/cli.ts';
import { registerBackupCli } from './backup/cli.ts';
import { registerOtaCli } from './ota/cli.ts';
import { port, withData, type DataOpts } from './cli-options.ts';
import { GATEWAY_DEFAULTS } from './config/defaults.ts';
import { registerDeviceCli } from './devices/cli.ts';
import { registerTicketCli } from './tickets/cli.ts';
import { registerBrokerCli } from './broker/cli.ts';

/**
 * `roadwarden gateway …`: each area registers its verbs here and imports its code only when one of
 * them runs, so `--help` and an edge box never load the gateway, the simulator or the dashboard.
 */
export function registerGatewayCli(
  program: Command,
  logger: (cmd: Command) => Logger,
  untilSignal: () => Promise<NodeJS.Signals>,
): void {
  const gw = program
    .command('gateway')
    .description('the county centre: MQTT broker, device registry, alarms and the three responses');

  withData(
    gw.command('run', { isDefault: true }).description('run the gateway (the default when no subcommand is given)'),
  )
    .option('--mqtt-port <n>', `embedded broker port (default ${GATEWAY_DEFAULTS.brokerPort})`, port)
    .option('--http-port <n>', `HTTP API port (default ${GATEWAY_DEFAULTS.httpPort})`, port)
    .option('--check-config', 'only check gateway.yaml (schema, channel names, map) and exit')
    .action(async (o: DataOpts & { mqttPort?: number; httpPort?: number; checkConfig?: boolean }, cmd: Command) => {
      const { loadGatewayConfig, resolveDataDir } = await import('./config/load-config.ts');
      const config = o.config ? loadGatewayConfig(o.config) : {};
      const { describeResponses, responsesInForce } = await import('./responses/default-plan.ts');
      const responses = describeResponses(responsesInForce(config));
      if (o.checkConfig) {
        process.stdout.write(`${o.config ?? '(no --config)'}: OK — ${responses}\n`);
        return;
      }
      const log = logger(cmd);
      const { Gateway } = await import('./main.ts');
      // Caught from before the ready line: a stop just after it must not find no handler.
      const signal = untilSignal();
      const gateway = new Gateway({
        config,
        mqttPort: o.mqttPort,
        httpPort: o.httpPort,
        dataDir: resolveDataDir(o, config),
        logger: log,
      });
      await gateway.start();
      const { embedded: broker, rabbit } = gateway.services.broker;
      const mqtt = broker
        ? `MQTT on port ${broker.port}${broker.tlsPort ? `, MQTT/TLS on ${broker.tlsPort}` : ''}`
        : rabbit
          ? `RabbitMQ at ${config.broker?.rabbitmq?.nodes.join(', ')}, its auth backend ${rabbit.authPort ? `on port ${rabbit.authPort}` : 'elsewhere (gateway rabbitmq-auth)'}`
          : `MQTT via ${config.broker?.url}`;
      process.stdout.write(
        `gateway: ${mqtt}, HTTP API on port ${gateway.httpPort}, data in ${gateway.dataDir}\n${responses}\n`,
      );
      const sig = await signal;
      log.info({ signal: sig }, 'stopping gateway');
      await gateway.stop();
    });

  registerDeviceCli(gw);
  registerAccessCli(gw);
  registerArchiveCli(gw);
  registerTicketCli(gw);
  registerBackupCli(gw);
  registerOtaCli(gw);
  registerBrokerCli(gw, logger, untilSignal);

  gw.command('dashboard')
    .description('the web dashboard served at / on the API port')
    .command('build')
    .description('bundle the dashboard now (npm ci does it; the gateway otherwise does it at its first start)')
    .action(async () => {
      const { ensureDashboard } = await import('./dashboard/build.ts');
      const d = await ensureDashboard();
      process.stdout.write(`dashboard ${d.built ? `built in ${d.ms} ms` : 'already built'}: ${d.dir}\n`);
    });
}
