import pino, { type Logger } from 'pino';
import { createIdGenerator, type IdGenerator } from '../protocols/index.ts';
import { createBus, type GatewayBus } from './bus.ts';
import { GATEWAY_DEFAULTS, type GatewayConfig } from './config/schema.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { GatewayClient } from './mqtt/gateway-client.ts';
import { loadStorageKey } from './store/key-file.ts';
import type { SqlDatabase } from './store/sql.ts';
import { openStorage } from './store/storage.ts';
import { Worker } from './worker.ts';

export type Clock = () => Date;

/** What every module is handed: nothing more (no module sees the others but the services it names). */
export interface GatewayContext {
  readonly config: GatewayConfig;
  readonly dataDir: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /** The gateway's database: what every store reads and writes (store/sql.ts). */
  readonly sql: SqlDatabase;
  /** What personal data at rest is encrypted under (store/key-file.ts). */
  readonly storageKey: Buffer;
  readonly bus: GatewayBus;
  /** Prometheus registry: each module registers its own metrics; /metrics serves it. */
  readonly metrics: Metrics;
  /** The gateway's own MQTT client (connected by main once every module has subscribed). */
  readonly mqtt: GatewayClient;
  /** This process among the workers sharing the database; timers run only where it leads. */
  readonly worker: Worker;
}

export interface ContextOptions {
  config: GatewayConfig;
  dataDir?: string;
  logger?: Logger;
  clock?: Clock;
}

/** Opens the database (migrated) and builds the shared parts. */
export async function openContext(o: ContextOptions): Promise<GatewayContext> {
  const dataDir = o.dataDir ?? o.config.dataDir ?? GATEWAY_DEFAULTS.dataDir;
  const log = o.logger ?? pino({ level: 'silent' });
  const clock = o.clock ?? (() => new Date());
  const storageKey = loadStorageKey(o.config, dataDir);
  const sql = await openStorage(o.config, dataDir, storageKey, (backup, from, to) =>
    log.warn({ backup, from, to }, 'database schema upgraded; the database as it was is kept beside it'),
  );
  return {
    config: o.config,
    dataDir,
    log,
    clock,
    newId: createIdGenerator(() => clock().getTime()),
    sql,
    storageKey,
    bus: createBus(log),
    metrics: createMetrics(),
    mqtt: new GatewayClient(log),
    worker: new Worker(sql, log),
  };
}
