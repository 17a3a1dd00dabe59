import type { FastifyInstance } from 'fastify';
import type { AccessModule } from '../access/module.ts';
import { GATEWAY_DEFAULTS } from '../config/defaults.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';
import { opsRoutes } from './ops-routes.ts';
import type { RouteDef } from './route.ts';
import { startApiServer } from './server.ts';

/** The HTTP API (and dashboard): every module's routes, authenticated after routing; /health and /metrics. */
export class ApiModule implements GatewayModule {
  readonly name = 'api';
  /** Every route with its access rule (the generated scope test walks it); set at start. */
  table: RouteDef[] = [];
  private http: FastifyInstance | undefined;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { access: AccessModule; modules: GatewayModule[] },
  ) {}

  async start(): Promise<void> {
    const { config, log, metrics } = this.ctx;
    const { modules, access } = this.deps;
    const health = () => Object.assign({}, ...modules.map((m) => m.health?.() ?? {})) as Record<string, unknown>;
    this.table = [...opsRoutes({ health, metrics }), ...modules.flatMap((m) => m.routes?.() ?? [])];
    this.http = await startApiServer({
      routes: this.table,
      authenticate: (req) => access.authenticate(req),
      host: config.http?.host ?? GATEWAY_DEFAULTS.httpHost,
      port: config.http?.port ?? GATEWAY_DEFAULTS.httpPort,
      logger: log,
      tls: config.http?.tls,
      origins: config.http?.origins,
    });
  }

  get port(): number {
    const address = this.http?.server.address();
    if (!address || typeof address === 'string') throw new Error('the HTTP API is not listening');
    return address.port;
  }

  async stop(): Promise<void> {
    await this.http?.close();
  }
}
