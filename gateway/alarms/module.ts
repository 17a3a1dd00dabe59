import type { AccessModule } from '../access/module.ts';
import type { RouteDef } from '../api/route.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';
import { AlarmQuery } from './alarm-query.ts';
import { LiveFeed } from './live-feed.ts';
import { liveRoutes } from './live-routes.ts';
import { alarmRoutes } from './routes.ts';

/** The alarm list and the dashboard's live stream (alarms, cases, responses as they move, from every worker). */
export class AlarmsModule implements GatewayModule {
  readonly name = 'alarms';
  /** Alarms as the list shows them (for the CLI, tests and benches; routes use the same). */
  query!: AlarmQuery;
  live!: LiveFeed;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { access: AccessModule },
  ) {}

  async start(): Promise<void> {
    this.query = new AlarmQuery(this.ctx.sql);
    this.live = new LiveFeed(this.ctx.sql, this.ctx.bus, this.ctx.log);
    await this.live.start();
  }

  async stop(): Promise<void> {
    await this.live?.stop();
  }

  routes(): RouteDef[] {
    const { accessLog, scope } = this.deps.access;
    return [...alarmRoutes({ alarms: this.query, accessLog }), ...liveRoutes({ live: this.live, scope })];
  }
}
