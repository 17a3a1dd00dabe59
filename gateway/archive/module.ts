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
    // In the background: a prefecture's million descriptors take minutes; a search waits for it.
    const began = Date.now();
    let next = 100_000;
    const progress = (n: number) => {
      if (n < next) return;
      next += 100_000;
      this.ctx.log.info({ indexed: n }, 'building the face search index');
    };
    this.faces.load(progress).then(
      () => this.ctx.log.info({ indexed: this.faces.indexed, ms: Date.now() - began }, 'face search index built'),
      (err: unknown) => this.ctx.log.error({ err }, 'face search index could not be built; searches will retry'),
    );
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
