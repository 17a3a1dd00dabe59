import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { untilSignal } from '../../bin/cli-context.ts';

interface ClusterUpOpts {
  nodes: string;
  workers: string;
  partitions: string;
  dir: string;
  storageUrl: string;
  schema: string;
}

const whole = (name: string, v: string, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} ${v}: a whole number from 1 to ${max}`);
  return n;
};

/** `roadwarden cluster up`: a prefecture on loopback for tests and testers. */
export function registerClusterCli(program: Command, logger: (cmd: Command) => Logger): void {
  program
    .command('cluster')
    .description('a prefecture’s cluster on this machine: RabbitMQ nodes, gateway workers, PostgreSQL')
    .command('up')
    .description(
      'start RabbitMQ nodes of its own on free loopback ports (MQTT adapter, HTTP auth, consistent hash), one rabbitmq-auth per node, and gateway workers on one PostgreSQL schema; Ctrl-C stops them all',
    )
    .option('--nodes <n>', 'RabbitMQ nodes', '3')
    .option('--workers <n>', 'gateway workers', '2')
    .option('--partitions <n>', 'report queues', '4')
    .option('--dir <dir>', 'node data, gateway.yaml and the shared data dir (kept)', './cluster')
    .option(
      '--storage-url <url>',
      'PostgreSQL for the workers (no password here: PGPASSWORD)',
      'postgres://postgres@127.0.0.1:5432/test',
    )
    .option('--schema <name>', 'PostgreSQL schema for the tables', 'rw_cluster')
    .action(async (o: ClusterUpOpts, cmd: Command) => {
      const log = logger(cmd);
      const { ClusterRig } = await import('./cluster-rig.ts');
      const { rabbitmqInstalled } = await import('./rabbitmq-cluster.ts');
      if (!rabbitmqInstalled()) throw new Error('RabbitMQ is not installed (Debian: apt-get install rabbitmq-server)');
      const rig = await ClusterRig.start({
        dir: resolve(o.dir),
        nodes: whole('nodes', o.nodes, 7),
        workers: whole('workers', o.workers, 16),
        partitions: whole('partitions', o.partitions, 64),
        storage: { url: o.storageUrl, schema: o.schema },
        onProgress: (m) => log.info(m),
      });
      const out = [
        `cluster up: ${rig.rabbit.nodes.length} RabbitMQ nodes, ${rig.workers.length} gateway workers, PostgreSQL schema ${o.schema}`,
        ...rig.rabbit.nodes.map((n, i) => `  node ${i + 1}: boxes connect to ${n.mqttUrl} (AMQP ${n.amqpUrl})`),
        ...rig.workers.map((w, i) => `  worker ${i + 1}: HTTP API and dashboard on http://127.0.0.1:${w?.httpPort}`),
        `  config: ${rig.configFile}`,
        `add a box:  printf '%s\\n' 'its-password' | roadwarden gateway device add --config ${rig.configFile} --id <id> --password-stdin`,
        'Ctrl-C stops everything (the data stays in --dir and the schema).',
      ];
      process.stdout.write(`${out.join('\n')}\n`);
      await untilSignal();
      await rig.stop();
    });
}
