import type { Command } from 'commander';
import type { Logger } from 'pino';
import { withData, type DataOpts } from '../cli-options.ts';

interface BrokerConfigOpts extends DataOpts {
  out: string;
  listen: string;
  user?: string;
}

/** `gateway broker-config` (the files for an external Mosquitto) and `gateway rabbitmq-auth`. */
export function registerBrokerCli(
  gw: Command,
  logger: (cmd: Command) => Logger,
  untilSignal: () => Promise<NodeJS.Signals>,
): void {
  withData(
    gw
      .command('broker-config')
      .description(
        'write a Mosquitto 2 configuration for this county (for broker.url): durable persistence, limits, the boxes’ passwords and topic rights',
      ),
  )
    .requiredOption('--out <dir>', 'where mosquitto.conf, passwords, acl and data/ go')
    .option('--listen <host:port>', 'where Mosquitto listens', '127.0.0.1:1883')
    .option('--user <name>', 'the system user Mosquitto runs as (it must own --out); default: Mosquitto’s own')
    .action(async (o: BrokerConfigOpts) => {
      const { writeMosquittoConfig } = await import('./mosquitto-config-command.ts');
      const r = await writeMosquittoConfig(o);
      process.stdout.write(
        `${r.dir}/mosquitto.conf: ${r.boxes} boxes and the gateway's account ${r.gateway}\n` +
          (r.missing.length
            ? `left out, the gateway never saw their password (they get one at their first log-in to the embedded broker, or give them a new one with \`gateway device add\`): ${r.missing.join(', ')}\n`
            : '') +
          `run: mosquitto -c ${r.dir}/mosquitto.conf   (after a change: kill -HUP its pid)\n`,
      );
    });

  withData(
    gw
      .command('rabbitmq-auth')
      .description(
        'answer RabbitMQ’s HTTP auth backend (broker.rabbitmq.auth) as a process of its own, beside each RabbitMQ node, so boxes log in while gateway workers come and go',
      ),
  ).action(async (o: DataOpts, cmd: Command) => {
    const { loadGatewayConfig, resolveDataDir } = await import('../config/load-config.ts');
    const { RabbitAuthService } = await import('./rabbitmq/auth-service.ts');
    const config = o.config ? loadGatewayConfig(o.config) : {};
    const service = new RabbitAuthService(config, resolveDataDir(o, config), logger(cmd));
    const signal = untilSignal();
    await service.start();
    process.stdout.write(`rabbitmq-auth: listening on port ${service.port}\n`);
    await signal;
    await service.stop();
  });
}
