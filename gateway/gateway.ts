import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { EmbeddedBroker } from './broker/embedded-broker.ts';
import { GATEWAY_DEFAULTS, type GatewayConfig } from './config/schema.ts';
import { CredentialStore } from './registry/credentials.ts';
import { openDatabase } from './store/database.ts';

export interface GatewayOptions {
  config?: GatewayConfig;
  /** Command-line overrides, as operators and tests use them. */
  mqttPort?: number;
  dataDir?: string;
  logger?: Logger;
}

/** The county centre. main wires its units; each has start/stop. */
export class Gateway {
  readonly db: Database.Database;
  readonly credentials: CredentialStore;
  readonly broker: EmbeddedBroker;
  readonly dataDir: string;

  constructor(o: GatewayOptions) {
    const c = o.config ?? {};
    this.dataDir = o.dataDir ?? c.dataDir ?? GATEWAY_DEFAULTS.dataDir;
    this.db = openDatabase(this.dataDir);
    this.credentials = new CredentialStore(this.db);
    this.broker = new EmbeddedBroker({
      dataDir: this.dataDir,
      host: c.broker?.host ?? GATEWAY_DEFAULTS.brokerHost,
      port: o.mqttPort ?? c.broker?.port ?? GATEWAY_DEFAULTS.brokerPort,
      tls: c.broker?.tls,
      credentials: this.credentials,
      logger: o.logger,
    });
  }

  async start(): Promise<void> {
    await this.broker.start();
  }

  async stop(): Promise<void> {
    await this.broker.stop();
    this.db.close();
  }
}
