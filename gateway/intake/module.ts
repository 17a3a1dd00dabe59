import type { ArchiveModule } from '../archive/module.ts';
import type { GatewayContext } from '../context.ts';
import type { EvidenceModule } from '../evidence/module.ts';
import type { GatewayModule } from '../module.ts';
import { Intake, INTAKE_FILTERS } from './intake.ts';
import { IntakeStore } from './intake-store.ts';
import { every } from '../periodic.ts';

const PRUNE_MS = 3_600_000;

/** Device reports in: subscribes the gateway's client to every box's reports, stores them, puts each new one on the bus. */
export class IntakeModule implements GatewayModule {
  readonly name = 'intake';
  intake!: Intake;
  store!: IntakeStore;
  /** Prune dead letters now (hourly on its own); returns how many went. */
  prune: () => Promise<number> = async () => 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { archive: ArchiveModule; evidence: EvidenceModule },
  ) {}

  start(): void {
    const { sql, bus, clock, log, metrics, mqtt, config } = this.ctx;
    const store = (this.store = new IntakeStore(sql, this.deps.archive.faces));
    this.intake = new Intake({
      store,
      images: this.deps.evidence.store,
      bus,
      now: clock,
      logger: log,
      metrics,
    });
    mqtt.subscribe(INTAKE_FILTERS, (topic, payload) => this.intake.onMessage(topic, payload));
    const keepDays = config.deadLetters?.keepDays ?? 14;
    const keepMax = config.deadLetters?.keepMax ?? 100_000;
    this.prune = async () => {
      const before = new Date(clock().getTime() - keepDays * 86_400_000).toISOString();
      const removed = await store.pruneDeadLetters(before, keepMax);
      if (removed) log.info({ removed, keepDays, keepMax }, 'old refused messages (dead letters) pruned');
      return removed;
    };
    this.timer = every(PRUNE_MS, 'dead-letter pruning', this.prune, log, () => this.ctx.worker.isLeader);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  health(): Record<string, unknown> {
    return { intake: this.intake.stats };
  }
}
