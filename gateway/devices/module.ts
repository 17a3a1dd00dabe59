import type { AccessModule } from '../access/module.ts';
import type { Viewer } from '../access/viewer.ts';
import type { RouteDef } from '../api/route.ts';
import type { GatewayContext } from '../context.ts';
import { gaugeOf } from '../metrics.ts';
import type { GatewayModule } from '../module.ts';
import { CommandSender } from './command-sender.ts';
import { Commissioning } from './commissioning.ts';
import { loadCountyMap, type MapArea } from './county-map.ts';
import { DeviceQuery } from './device-query.ts';
import { DeviceStore } from './device-store.ts';
import { PlaceCache } from './place-cache.ts';
import { deviceRoutes } from './routes.ts';
import { SelfTests } from './selftest-store.ts';

export interface DevicesDeps {
  access: AccessModule;
  /** A box's open fault tickets, for its detail page. */
  openTickets(viewer: Viewer, deviceId: string): Promise<unknown[]>;
}

/** The registry of boxes: their place, state and self-tests, registration, commands to them, the county map. */
export class DevicesModule implements GatewayModule {
  readonly name = 'devices';
  registry!: DeviceStore;
  selftests!: SelfTests;
  /** Boxes' places for the broker's per-message checks. */
  places!: PlaceCache;
  commissioning!: Commissioning;
  commands!: CommandSender;
  map: MapArea[] | undefined;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: DevicesDeps,
  ) {}

  async start(): Promise<void> {
    const { sql, config, mqtt, newId, clock, metrics, log } = this.ctx;
    this.registry = new DeviceStore(sql, (m) => this.places.note(m.id, m));
    this.places = new PlaceCache(this.registry, 2000, log);
    await this.places.start();
    this.selftests = new SelfTests(sql);
    this.commissioning = new Commissioning(this.deps.access.credentials, this.registry);
    this.commands = new CommandSender((t, p, retain) => mqtt.publish(t, p, retain), newId, clock);
    this.map = config.map ? loadCountyMap(config.map.geojson) : undefined;
    gaugeOf(metrics, 'rw_devices_online', 'Devices whose last status is online', () => this.registry.countOnline());
  }

  stop(): void {
    this.places?.stop();
  }

  routes(): RouteDef[] {
    return deviceRoutes({
      devices: new DeviceQuery(this.ctx.sql, this.selftests),
      registry: this.registry,
      commissioning: this.commissioning,
      commands: this.commands,
      openTickets: this.deps.openTickets,
      signer: (name) => this.deps.access.tokens.signer(name),
      map: this.map,
    });
  }
}
