import type { AccessModule } from '../access/module.ts';
import type { RouteDef } from '../api/route.ts';
import type { GatewayContext } from '../context.ts';
import type { EvidenceModule } from '../evidence/module.ts';
import type { GatewayModule } from '../module.ts';
import { Archive } from './archive-store.ts';
import { FaceIndex } from './face-store.ts';
import { archiveRoutes } from './routes.ts';
import { every } from '../periodic.ts';

const SWEEP_MS = 6 * 3_600_000;

/** The county's vehicle archive (owners, villages) and drivers' face descriptors (encrypted, kept as long as evidence). */
export class ArchiveModule implements GatewayModule {
  readonly name = 'archive';
  archive!: Archive;
  faces!: FaceIndex;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { access: AccessModule; evidence: EvidenceModule },
  ) {}

  async start(): Promise<void> {
    this.archive = new Archive(this.ctx.sql, this.ctx.clock);
    this.faces = new FaceIndex(this.ctx.sql, this.deps.evidence.key, this.ctx.clock);
    await this.sweep();
    this.timer = every(
      SWEEP_MS,
      'face retention sweep',
      () => this.sweep(),
      this.ctx.log,
      () => this.ctx.worker.isLeader,
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    const days = this.deps.evidence.retentionDays;
    const removed = await this.faces.sweep(days);
    if (removed) this.ctx.log.info({ removed, retentionDays: days }, 'face descriptors past retention removed');
  }

  routes(): RouteDef[] {
    return archiveRoutes({ archive: this.archive, accessLog: this.deps.access.accessLog });
  }
}
