import type { Logger } from 'pino';
import { AccessModule } from './access/module.ts';
import { AlarmsModule } from './alarms/module.ts';
import { ApiModule } from './api/module.ts';
import { ArchiveModule } from './archive/module.ts';
import { BrokerModule } from './broker/module.ts';
import type { GatewayConfig } from './config/schema.ts';
import { openContext, type Clock, type GatewayContext } from './context.ts';
import { DashboardModule } from './dashboard/module.ts';
import { DevicesModule } from './devices/module.ts';
import { EvidenceModule } from './evidence/module.ts';
import { IntakeModule } from './intake/module.ts';
import type { GatewayModule } from './module.ts';
import { MqttModule } from './mqtt/module.ts';
import { OtaModule } from './ota/module.ts';
import { ReportsModule } from './reports/module.ts';
import { ResponsesModule } from './responses/module.ts';
import { TicketsModule } from './tickets/module.ts';

export interface GatewayOptions {
  config?: GatewayConfig;
  /** Command-line overrides, as operators and tests use them. */
  mqttPort?: number;
  httpPort?: number;
  dataDir?: string;
  logger?: Logger;
  clock?: Clock;
}

/** The modules, by name, once started: for the CLI, tests and benches (modules never see this). */
export type GatewayServices = ReturnType<typeof wire>;

/** Builds every module from the context and the services each names, in start order. */
function wire(ctx: GatewayContext) {
  const access = new AccessModule(ctx);
  const evidence = new EvidenceModule(ctx, { access });
  const archive = new ArchiveModule(ctx, { access, evidence });
  const devices = new DevicesModule(ctx, {
    access,
    openTickets: (v, id) => tickets.tickets.list(v, { deviceId: id, open: true }),
  });
  const broker = new BrokerModule(ctx, { access, devices });
  const intake = new IntakeModule(ctx, { archive, evidence });
  const responses = new ResponsesModule(ctx, { access, devices, archive, evidence });
  const tickets = new TicketsModule(ctx, { devices });
  const reports = new ReportsModule(ctx, { access });
  const alarms = new AlarmsModule(ctx, { access });
  const mqtt = new MqttModule(ctx, { broker });
  const dashboard = new DashboardModule(ctx);
  const ota = new OtaModule(ctx, { devices });
  // In start order (object keys keep it): the API comes last, over every other module's routes.
  const features = {
    access,
    evidence,
    archive,
    devices,
    broker,
    intake,
    responses,
    tickets,
    reports,
    alarms,
    mqtt,
    ota,
    dashboard,
  };
  const api = new ApiModule(ctx, { access, modules: Object.values(features) });
  return { ...features, api };
}

/** The county centre: builds the context, starts the modules in order, stops them in reverse. */
export class Gateway {
  private ctx: GatewayContext | undefined;
  private wired: GatewayServices | undefined;
  private started: GatewayModule[] = [];

  constructor(private readonly o: GatewayOptions = {}) {}

  async start(): Promise<void> {
    const c = this.o.config ?? {};
    const config: GatewayConfig = {
      ...c,
      broker: { ...c.broker, ...(this.o.mqttPort !== undefined && { port: this.o.mqttPort }) },
      http: { ...c.http, ...(this.o.httpPort !== undefined && { port: this.o.httpPort }) },
    };
    const ctx = (this.ctx = await openContext({
      config,
      dataDir: this.o.dataDir,
      logger: this.o.logger,
      clock: this.o.clock,
    }));
    await ctx.worker.start();
    const wired = (this.wired = wire(ctx));
    try {
      for (const m of Object.values(wired)) {
        await m.start();
        this.started.push(m);
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    ctx.bus.emit('started');
  }

  async stop(): Promise<void> {
    for (const m of this.started.reverse()) {
      try {
        await m.stop();
      } catch (e) {
        this.ctx?.log.error({ module: m.name, err: (e as Error).message }, 'a module did not stop cleanly');
      }
    }
    this.started = [];
    await this.ctx?.worker.stop();
    await this.ctx?.sql.close();
    this.ctx = undefined;
  }

  /** The started modules (throws before start). */
  get services(): GatewayServices {
    if (!this.wired) throw new Error('the gateway is not started');
    return this.wired;
  }

  get context(): GatewayContext {
    if (!this.ctx) throw new Error('the gateway is not started');
    return this.ctx;
  }

  get dataDir(): string {
    return this.context.dataDir;
  }

  get httpPort(): number {
    return this.services.api.port;
  }

  /** The embedded broker's port; undefined with an external broker. */
  get mqttPort(): number | undefined {
    return this.services.broker.embedded?.port;
  }
}
