import type { RouteDef } from '../api/route.ts';
import { GATEWAY_DEFAULTS } from '../config/defaults.ts';
import type { GatewayContext } from '../context.ts';
import type { DevicesModule } from '../devices/module.ts';
import { DeviceQuery } from '../devices/device-query.ts';
import type { GatewayModule } from '../module.ts';
import { OtaStore } from './ota-store.ts';
import { RolloutEngine } from './rollout-engine.ts';
import { otaRoutes } from './routes.ts';

/** Agent updates of the boxes (OTA): signed bundles, staged rollouts, every box's state in them. */
export class OtaModule implements GatewayModule {
  readonly name = 'ota';
  store!: OtaStore;
  engine!: RolloutEngine;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { devices: DevicesModule },
  ) {}

  async start(): Promise<void> {
    const { sql, config, bus, clock, newId, log, worker } = this.ctx;
    this.store = new OtaStore(sql);
    this.engine = new RolloutEngine({
      store: this.store,
      commands: this.deps.devices.commands,
      config: config.ota,
      baseUrl: () => config.ota?.baseUrl ?? localUrl(config.http?.host, config.http?.port),
      now: clock,
      newId,
      logger: log.child({ unit: 'ota' }),
      leads: () => worker.isLeader,
    });
    bus.on('ota', (m) => this.engine.onReport(m));
    bus.on('command_result', (m) => this.engine.onCommandResult(m));
    this.engine.start();
  }

  stop(): void {
    this.engine?.stop();
  }

  routes(): RouteDef[] {
    const devices = new DeviceQuery(this.ctx.sql, this.deps.devices.selftests);
    return otaRoutes({
      store: this.store,
      engine: this.engine,
      dataDir: this.ctx.dataDir,
      now: this.ctx.clock,
      devicesOf: async (v) => (await devices.list(v)).map((x) => x.id),
    });
  }
}

/** This gateway's HTTP address as a box on this machine reaches it (a wildcard listen is reached on loopback). */
function localUrl(host: string = GATEWAY_DEFAULTS.httpHost, port: number = GATEWAY_DEFAULTS.httpPort): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h}:${port}`;
}
