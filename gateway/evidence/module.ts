import { join } from 'node:path';
import type { AccessModule } from '../access/module.ts';
import type { RouteDef } from '../api/route.ts';
import { GATEWAY_DEFAULTS } from '../config/defaults.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';
import { EvidenceQuery } from './evidence-query.ts';
import { EvidenceStore } from './evidence-store.ts';
import { evidenceRoutes } from './routes.ts';
import { every } from '../periodic.ts';

const SWEEP_MS = 6 * 3_600_000;

/** Evidence images, encrypted at rest with the county's evidence key, and removed past retention. */
export class EvidenceModule implements GatewayModule {
  readonly name = 'evidence';
  /** The AES key for personal data at rest (evidence images, face descriptors). */
  key!: Buffer;
  store!: EvidenceStore;
  query!: EvidenceQuery;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { access: AccessModule },
  ) {}

  get retentionDays(): number {
    return this.ctx.config.evidence?.retentionDays ?? GATEWAY_DEFAULTS.evidenceRetentionDays;
  }

  async start(): Promise<void> {
    const { dataDir, sql, clock } = this.ctx;
    this.key = this.ctx.storageKey;
    this.store = new EvidenceStore(sql, join(dataDir, 'evidence'), this.key, clock);
    this.query = new EvidenceQuery(sql, this.store);
    await this.sweep();
    this.timer = every(
      SWEEP_MS,
      'evidence retention sweep',
      () => this.sweep(),
      this.ctx.log,
      () => this.ctx.worker.isLeader,
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    const removed = await this.store.sweep(this.retentionDays);
    if (removed)
      this.ctx.log.info({ removed, retentionDays: this.retentionDays }, 'evidence images past retention removed');
  }

  routes(): RouteDef[] {
    return evidenceRoutes({ evidence: this.query, accessLog: this.deps.access.accessLog });
  }
}
