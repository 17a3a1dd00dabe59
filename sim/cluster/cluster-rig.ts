import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialStore, deviceAuthKey, type GatewayConfig, PostgresSql } from '../../gateway/index.ts';
import { freePorts } from '../testing/free-ports.ts';
import { type GatewayProcess, spawnGateway, spawnRabbitAuth } from '../testing/gateway-process.ts';
import { RabbitCluster } from './rabbitmq-cluster.ts';

export interface ClusterRigOptions {
  /** Config, shared data (keys, evidence) and every node's files live here. */
  dir: string;
  nodes?: number;
  workers?: number;
  partitions?: number;
  /** Reports a worker keeps in hand per queue (gateway default when not given). */
  prefetch?: number;
  /** PostgreSQL database and schema the workers share. */
  storage: { url: string; schema?: string };
  /** Extra gateway.yaml sections (responses, http) for every worker. */
  gateway?: Partial<GatewayConfig>;
  onProgress?: (m: string) => void;
}

/**
 * A prefecture on loopback: a RabbitMQ cluster of our own (`nodes`), one `gateway rabbitmq-auth`
 * per node (as the production recipe has it, beside each node), and `workers` gateway processes on
 * one PostgreSQL schema, all from one gateway.yaml. Everything can be killed and started again.
 */
export class ClusterRig {
  readonly workers: Array<GatewayProcess | undefined> = [];
  private readonly auth: ChildProcess[] = [];

  private constructor(
    private readonly o: ClusterRigOptions,
    readonly rabbit: RabbitCluster,
    readonly configFile: string,
    readonly dataDir: string,
  ) {}

  static async start(o: ClusterRigOptions): Promise<ClusterRig> {
    const nodes = o.nodes ?? 3;
    const authPorts = await freePorts(nodes);
    const rabbit = await RabbitCluster.create({
      dir: join(o.dir, 'rabbit'),
      nodes,
      authUrl: (i) => `http://127.0.0.1:${authPorts[i]}`,
    });
    const dataDir = join(o.dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const configFile = join(o.dir, 'gateway.yaml');
    const config = (authPort: number): GatewayConfig => ({
      dataDir,
      storage: o.storage,
      http: { port: 0 },
      ...o.gateway,
      broker: {
        type: 'rabbitmq',
        rabbitmq: {
          nodes: rabbit.nodes.map((n) => `127.0.0.1:${n.amqpPort}`),
          partitions: o.partitions ?? 4,
          ...(o.prefetch && { prefetch: o.prefetch }),
          auth: { port: authPort, serve: false },
        },
      },
    });
    // YAML is a superset of JSON: one file for the workers, one per auth process (its port).
    writeFileSync(configFile, JSON.stringify(config(authPorts[0]!), null, 2));
    const rig = new ClusterRig(o, rabbit, configFile, dataDir);
    o.onProgress?.(`RabbitMQ: ${nodes} nodes`);
    const authFiles = authPorts.map((p, i) => {
      const f = join(o.dir, `rabbitmq-auth-${i + 1}.yaml`);
      writeFileSync(f, JSON.stringify(config(p), null, 2));
      return f;
    });
    const auths = Promise.all(authFiles.map((f) => spawnRabbitAuth(['--config', f])));
    await rabbit.start();
    rig.auth.push(...(await auths).map((a) => a.proc));
    // Together: workers starting at once share the report queues out between them.
    o.onProgress?.(`${o.workers ?? 2} gateway workers`);
    await Promise.all(Array.from({ length: o.workers ?? 2 }, (_, i) => rig.startWorker(i)));
    return rig;
  }

  async startWorker(i: number): Promise<GatewayProcess> {
    const w = await spawnGateway(['--config', this.configFile]);
    this.workers[i] = w;
    return w;
  }

  /** kill -9 of one worker. */
  killWorker(i: number): void {
    this.workers[i]?.proc.kill('SIGKILL');
    this.workers[i] = undefined;
  }

  /** Boxes' accounts, written to the shared database as `gateway device add` would. */
  async addDevices(ids: string[], password: (id: string) => string): Promise<void> {
    const sql = await PostgresSql.connect({ ...this.o.storage, poolSize: 2 });
    try {
      const creds = new CredentialStore(sql, deviceAuthKey(this.dataDir));
      for (const id of ids) await creds.addDevice(id, password(id));
    } finally {
      await sql.close();
    }
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.workers.length; i++) this.workers[i]?.proc.kill('SIGTERM');
    for (const a of this.auth) a.kill('SIGTERM');
    await this.rabbit.stop();
  }
}
