import type { Logger } from 'pino';
import type { CredentialStore } from '../../access/credential-store.ts';
import { GATEWAY_DEFAULTS } from '../../config/defaults.ts';
import type { RabbitConfig } from '../../config/broker-type.ts';
import { counterOf, type Metrics } from '../../metrics.ts';
import type { PlaceOf } from '../acl.ts';
import type { AuthPath } from './auth-backend.ts';
import { RabbitAuthServer } from './auth-server.ts';
import { ReportQueues } from './report-queues.ts';

/** The live gateway workers (worker.ts), to share the report queues out. */
export interface QueueSharing {
  readonly id: string;
  /** Sorted, the same list in every worker. */
  readonly live: readonly string[];
}

/** Queue i goes to the (i mod n)-th live worker: as even as the counts allow, and the same everywhere. */
export const ownerOf = (partition: number, live: readonly string[]): string | undefined =>
  live[partition % live.length];

/** Workers starting together see each other within two heartbeats. */
const SETTLE_MS = 4500;
/** Then each stands by for the queues it does not own, behind their owners. */
const STANDBY_MS = 3000;

export interface RabbitBrokerOptions {
  config: RabbitConfig;
  worker: QueueSharing;
  /** The database is shared (PostgreSQL): other workers may be consuming too. */
  shared: boolean;
  credentials: CredentialStore;
  placeOf: PlaceOf;
  log: Logger;
  metrics?: Metrics;
}

/**
 * A RabbitMQ cluster as the county's broker: the gateway serves its HTTP auth backend (log-ins and
 * rights through the one access policy) and consumes its report queues. Boxes are admitted at once:
 * their reports wait in durable queues however long the gateway takes to start.
 */
export class RabbitBroker {
  /** The auth backend's port once listening (0 in the config picks a free one). */
  authPort: number | undefined;
  private readonly server: RabbitAuthServer;
  private queues: ReportQueues | undefined;
  private readonly log: Logger;

  constructor(private readonly o: RabbitBrokerOptions) {
    this.log = o.log.child({ unit: 'rabbitmq' });
    this.server = new RabbitAuthServer({
      config: o.config,
      credentials: o.credentials,
      placeOf: o.placeOf,
      log: this.log,
    });
    const checks = this.server.backend.stats;
    const m = o.metrics;
    if (!m) return;
    for (const path of ['user', 'vhost', 'resource', 'topic'] as AuthPath[]) {
      counterOf(m, `rw_rabbitmq_auth_${path}_allowed_total`, `RabbitMQ ${path} checks allowed`, () => {
        return checks.allowed[path];
      });
      counterOf(m, `rw_rabbitmq_auth_${path}_denied_total`, `RabbitMQ ${path} checks denied`, () => {
        return checks.denied[path];
      });
    }
  }

  async start(): Promise<void> {
    if (this.o.config.auth?.serve === false) return;
    this.authPort = await this.server.start();
  }

  /** The gateway's consumer of the report queues, logged in as its own account. */
  reportQueues(login: { username: string; password: string }): ReportQueues {
    const c = this.o.config;
    this.queues = new ReportQueues({
      hosts: c.nodes,
      vhost: c.vhost ?? GATEWAY_DEFAULTS.rabbitmqVhost,
      tls: c.tls ?? false,
      partitions: c.partitions ?? GATEWAY_DEFAULTS.rabbitmqPartitions,
      prefetch: c.prefetch ?? GATEWAY_DEFAULTS.rabbitmqPrefetch,
      // Alone on SQLite; on PostgreSQL other workers may share the queues.
      ...(this.o.shared && {
        share: {
          owns: (i: number) => ownerOf(i, this.o.worker.live) === this.o.worker.id,
          settleMs: SETTLE_MS,
          standbyMs: STANDBY_MS,
        },
      }),
      log: this.log,
      ...login,
    });
    return this.queues;
  }

  get stats(): Record<string, unknown> {
    return {
      type: 'rabbitmq',
      nodes: this.o.config.nodes,
      authPort: this.authPort,
      ...this.server.stats,
      connected: this.queues?.connected ?? false,
    };
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}
