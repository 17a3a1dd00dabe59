import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePorts } from '../testing/free-ports.ts';

/** Debian's rabbitmq-server package puts the server script here. */
export const RABBITMQ_SERVER = process.env.RW_RABBITMQ_SERVER ?? '/usr/lib/rabbitmq/bin/rabbitmq-server';

export const rabbitmqInstalled = (): boolean => existsSync(RABBITMQ_SERVER);

/** For a test that needs RabbitMQ: whether to skip it, saying why when it is skipped. */
export function skipWithoutRabbitmq(what: string): boolean {
  if (rabbitmqInstalled()) return false;
  process.stderr.write(`${what}: skipped, RabbitMQ is not installed (${RABBITMQ_SERVER}; Debian: rabbitmq-server)\n`);
  return true;
}

export interface RabbitNode {
  name: string;
  amqpPort: number;
  mqttPort: number;
  distPort: number;
  amqpUrl: string;
  mqttUrl: string;
}

export interface RabbitClusterOptions {
  /** Data, logs and config of every node live under here. */
  dir: string;
  nodes?: number;
  /** Base URL of the gateway's HTTP auth backend (…/auth/user etc. are appended); per node, or one for all. */
  authUrl: string | ((node: number) => string);
  /** Seconds RabbitMQ keeps an auth answer (rabbitmq_auth_backend_cache); default 60. */
  authCacheSeconds?: number;
}

const PLUGINS = ['rabbitmq_mqtt', 'rabbitmq_auth_backend_http', 'rabbitmq_auth_backend_cache'];
const CONSISTENT_HASH = 'rabbitmq_consistent_hash_exchange';

/**
 * RabbitMQ nodes of our own on free loopback ports, each with its data dir, clustered through the
 * classic peer list and logging people in through the gateway's HTTP auth backend. The machine's
 * own RabbitMQ (5672) is never touched. A node is one process group: `kill` ends it as a power cut
 * would; `start` brings it back on the same ports and data.
 */
export class RabbitCluster {
  readonly nodes: RabbitNode[];
  private readonly procs = new Map<number, ChildProcess>();

  private constructor(
    private readonly o: RabbitClusterOptions,
    nodes: RabbitNode[],
    private readonly cookie: string,
  ) {
    this.nodes = nodes;
  }

  static async create(o: RabbitClusterOptions): Promise<RabbitCluster> {
    const n = o.nodes ?? 1;
    const ports = await freePorts(n * 3);
    const tag = ports[0]!.toString(36);
    const nodes = Array.from({ length: n }, (_, i) => {
      const [amqpPort, mqttPort, distPort] = ports.slice(i * 3, i * 3 + 3) as [number, number, number];
      return {
        name: `rw${tag}n${i + 1}@localhost`,
        amqpPort,
        mqttPort,
        distPort,
        amqpUrl: `amqp://127.0.0.1:${amqpPort}`,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      };
    });
    return new RabbitCluster(o, nodes, randomBytes(20).toString('hex'));
  }

  /**
   * Start the nodes one after another, each joining those already up, and wait until each takes
   * connections. (Started all at once, 3.10's MQTT adapter never elects the leader of its client-id
   * registry, and no node opens its MQTT port.)
   */
  async start(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.startNode(i);
  }

  /** Start one node (again), on its ports and data, and wait for its listeners. */
  async startNode(i: number, timeoutMs = 90_000): Promise<void> {
    const node = this.nodes[i]!;
    const dir = join(this.o.dir, `node${i + 1}`);
    mkdirSync(join(dir, 'log'), { recursive: true });
    this.writeConfig(i, dir);
    const out = openSync(join(dir, 'log', 'console.log'), 'a');
    const proc = spawn(RABBITMQ_SERVER, [], {
      detached: true,
      // A node that crashes writes its MnesiaCore dump into its working directory.
      cwd: dir,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        HOME: dir,
        RABBITMQ_NODENAME: node.name,
        RABBITMQ_NODE_PORT: String(node.amqpPort),
        RABBITMQ_DIST_PORT: String(node.distPort),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_PID_FILE: join(dir, 'pid'),
      },
    });
    this.procs.set(i, proc);
    // A test or bench that dies must not leave nodes behind (they hold ports and a cluster name).
    process.once('exit', () => this.kill(i));
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`RabbitMQ node ${node.name} exited (${code}); see ${dir}/log`))),
    );
    await Promise.race([waitForPort(node.mqttPort, timeoutMs), exited]);
    await Promise.race([waitForPort(node.amqpPort, 10_000), exited]);
  }

  private writeConfig(i: number, dir: string): void {
    const node = this.nodes[i]!;
    const base = typeof this.o.authUrl === 'function' ? this.o.authUrl(i) : this.o.authUrl;
    const peers = this.nodes.map((p, k) => `cluster_formation.classic_config.nodes.${k + 1} = ${p.name}`);
    writeFileSync(
      join(dir, 'rabbitmq.conf'),
      [
        `listeners.tcp.default = 127.0.0.1:${node.amqpPort}`,
        `mqtt.listeners.tcp.default = 127.0.0.1:${node.mqttPort}`,
        'mqtt.allow_anonymous = false',
        'loopback_users = none',
        'auth_backends.1 = cache',
        'auth_cache.cached_backend = http',
        `auth_cache.cache_ttl = ${(this.o.authCacheSeconds ?? 60) * 1000}`,
        'auth_http.http_method = post',
        ...['user', 'vhost', 'resource', 'topic'].map((p) => `auth_http.${p}_path = ${base}/auth/${p}`),
        // A minority partition stops taking publishes instead of acknowledging what it cannot replicate.
        'cluster_partition_handling = pause_minority',
        'cluster_formation.peer_discovery_backend = classic_config',
        ...peers,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'enabled_plugins'), `[${[...PLUGINS, CONSISTENT_HASH].join(',')}].\n`);
    const cookie = join(dir, '.erlang.cookie');
    if (!existsSync(cookie)) {
      writeFileSync(cookie, this.cookie);
      chmodSync(cookie, 0o400);
    }
  }

  /** kill -9 of one node's whole process group. */
  kill(i: number): void {
    const p = this.procs.get(i);
    this.procs.delete(i);
    if (p?.pid && p.exitCode === null) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /**
   * Start every stopped node, as after a power cut: a node of a formed cluster waits for its peers
   * before it opens its ports, so none is awaited alone; starts are a few seconds apart because all
   * at once failed here (the nodes raced for the cluster's membership).
   */
  async restart(staggerMs = 3000): Promise<void> {
    const starts: Promise<void>[] = [];
    for (let i = 0; i < this.nodes.length; i++) {
      if (this.procs.has(i)) continue;
      starts.push(this.startNode(i, 300_000));
      await new Promise((r) => setTimeout(r, staggerMs));
    }
    await Promise.all(starts);
  }

  /** Process group ids of the running nodes. */
  pids(): number[] {
    return [...this.procs.values()].flatMap((p) => (p.pid ? [p.pid] : []));
  }

  isRunning(i: number): boolean {
    return this.procs.has(i);
  }

  async stop(): Promise<void> {
    const waits = [...this.procs.values()].map((p) => new Promise((r) => p.once('exit', r)));
    for (const i of [...this.procs.keys()]) this.kill(i);
    await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 5000))]);
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
