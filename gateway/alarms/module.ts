import type { AccessModule } from '../access/module.ts';
import type { RouteDef } from '../api/route.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';
import { AlarmQuery } from './alarm-query.ts';
import { liveRoutes } from './live-routes.ts';
import { alarmRoutes } from './routes.ts';

/** The alarm list and the dashboard's live stream (alarms, cases, responses as they move). */
export class AlarmsModule implements GatewayModule {
  readonly name = 'alarms';

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { access: AccessModule },
  ) {}

  start(): void {}
  stop(): void {}

  routes(): RouteDef[] {
    const { accessLog, scope } = this.deps.access;
    return [
      ...alarmRoutes({ alarms: new AlarmQuery(this.ctx.db), accessLog }),
      ...liveRoutes({ bus: this.ctx.bus, scope }),
    ];
  }
}
