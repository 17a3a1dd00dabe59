import type { AccessModule } from '../access/module.ts';
import type { RouteDef } from '../api/route.ts';
import { GATEWAY_DEFAULTS } from '../config/defaults.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';
import { ReportQuery } from './report-query.ts';
import { reportRoutes } from './routes.ts';

/** Weekly figures, hot spots and repeat offenders, in the county's local weeks. */
export class ReportsModule implements GatewayModule {
  readonly name = 'reports';

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { access: AccessModule },
  ) {}

  start(): void {}
  stop(): void {}

  routes(): RouteDef[] {
    const offset = this.ctx.config.reports?.utcOffsetHours ?? GATEWAY_DEFAULTS.reportsUtcOffsetHours;
    return reportRoutes({
      reports: new ReportQuery(this.ctx.sql, offset, this.ctx.clock),
      accessLog: this.deps.access.accessLog,
    });
  }
}
