import type { ArchiveModule } from '../archive/module.ts';
import type { GatewayContext } from '../context.ts';
import type { EvidenceModule } from '../evidence/module.ts';
import type { GatewayModule } from '../module.ts';
import { Intake, INTAKE_FILTERS } from './intake.ts';
import { IntakeStore } from './intake-store.ts';

/** Device reports in: subscribes the gateway's client to every box's reports, stores them, puts each new one on the bus. */
export class IntakeModule implements GatewayModule {
  readonly name = 'intake';
  intake!: Intake;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { archive: ArchiveModule; evidence: EvidenceModule },
  ) {}

  start(): void {
    const { db, bus, clock, log, metrics, mqtt } = this.ctx;
    this.intake = new Intake({
      store: new IntakeStore(db, this.deps.archive.faces),
      images: this.deps.evidence.store,
      bus,
      now: clock,
      logger: log,
      metrics,
    });
    mqtt.subscribe(INTAKE_FILTERS, (topic, payload) => this.intake.onMessage(topic, payload));
  }

  stop(): void {}

  health(): Record<string, unknown> {
    return { intake: this.intake.stats };
  }
}
