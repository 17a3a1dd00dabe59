import type { RouteDef } from '../api/route.ts';
import type { GatewayContext } from '../context.ts';
import type { DevicesModule } from '../devices/module.ts';
import type { GatewayModule } from '../module.ts';
import { FaultWatcher } from './fault-watcher.ts';
import { ticketRoutes } from './routes.ts';
import { TicketStore } from './ticket-store.ts';

/** Fault tickets (故障工单): opened from health flags and silence, closed (销号) with a note and a passing self-test. */
export class TicketsModule implements GatewayModule {
  readonly name = 'tickets';
  tickets!: TicketStore;
  faults!: FaultWatcher;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { devices: DevicesModule },
  ) {}

  async start(): Promise<void> {
    const { sql, newId, config, log, bus, clock } = this.ctx;
    const { registry, selftests } = this.deps.devices;
    this.tickets = new TicketStore(sql, newId);
    this.faults = new FaultWatcher({
      store: this.tickets,
      registry,
      selftests,
      config: config.tickets,
      now: clock,
      logger: log,
      leads: () => this.ctx.worker.isLeader,
    });
    bus.on('telemetry', (m) => this.faults.onTelemetry(m));
    bus.on('status', (m) => this.faults.onStatus(m));
    await this.faults.start();
  }

  stop(): void {
    this.faults.stop();
  }

  routes(): RouteDef[] {
    return ticketRoutes({ tickets: this.tickets, faults: this.faults, selftests: this.deps.devices.selftests });
  }
}
