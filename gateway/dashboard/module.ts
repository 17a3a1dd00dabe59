import type { RouteDef } from '../api/route.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';
import { ensureDashboard } from './build.ts';
import { dashboardRoutes } from './dashboard-routes.ts';

/** The web dashboard, built at first start if npm ci did not; the API runs without it if the build fails. */
export class DashboardModule implements GatewayModule {
  readonly name = 'dashboard';
  /** The built dashboard being served, if any. */
  dir: string | undefined;

  constructor(private readonly ctx: GatewayContext) {}

  async start(): Promise<void> {
    if (this.ctx.config.http?.dashboard === false) return;
    try {
      const d = await ensureDashboard();
      if (d.built) this.ctx.log.info({ ms: d.ms, dir: d.dir }, 'dashboard built');
      this.dir = d.dir;
    } catch (e) {
      this.ctx.log.error({ err: (e as Error).message }, 'the dashboard could not be built; the API runs without it');
    }
  }

  stop(): void {}

  routes(): RouteDef[] {
    return this.dir ? dashboardRoutes(this.dir) : [];
  }
}
