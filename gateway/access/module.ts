import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { RouteDef } from '../api/route.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';
import { loadOrCreateKey } from '../store/key-file.ts';
import { AccessLog } from './access-log-store.ts';
import { CredentialStore, GATEWAY_USER } from './credential-store.ts';
import { CredentialWatch } from './credential-watch.ts';
import { deviceAuthKey } from './device-auth-key.ts';
import { LoginGuard } from './login-throttle.ts';
import { accessRoutes, sessionCookie } from './routes.ts';
import { ScopeCheck } from './scope-query.ts';
import { Sessions } from './session-store.ts';
import { ApiTokens } from './token-store.ts';
import type { Viewer } from './viewer.ts';
import { every } from '../periodic.ts';

const SWEEP_MS = 6 * 3_600_000;

/**
 * Accounts, tokens, dashboard sessions and the access log; tells the bus when an account changes
 * (whichever process changed it), and answers who sent an HTTP request.
 */
export class AccessModule implements GatewayModule {
  readonly name = 'access';
  credentials!: CredentialStore;
  tokens!: ApiTokens;
  sessions!: Sessions;
  accessLog!: AccessLog;
  scope!: ScopeCheck;
  private watch: CredentialWatch | undefined;
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: GatewayContext) {}

  async start(): Promise<void> {
    const { sql, dataDir, bus, log } = this.ctx;
    this.credentials = new CredentialStore(sql, deviceAuthKey(dataDir));
    this.tokens = new ApiTokens(sql);
    this.sessions = new Sessions(sql);
    this.accessLog = new AccessLog(sql);
    this.scope = new ScopeCheck(sql);
    this.watch = new CredentialWatch(this.credentials, (c) => bus.emit('account_changed', c), 500, log);
    await this.watch.start();
    await this.sessions.sweep();
    this.sweep = every(
      SWEEP_MS,
      'session sweep',
      () => this.sessions.sweep(),
      log,
      () => this.ctx.worker.isLeader,
    );
  }

  stop(): void {
    clearInterval(this.sweep);
    this.watch?.stop();
  }

  /** Scripts send a bearer token; the dashboard's browser sends its session cookie. */
  async authenticate(req: FastifyRequest): Promise<Viewer | undefined> {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return m ? await this.tokens.check(m[1]) : await this.sessions.check(sessionCookie(req));
  }

  /**
   * The gateway's own account on the embedded broker: made at the first start with a random
   * password kept beside the data (mode 600).
   */
  async gatewayLogin(): Promise<{ username: string; password: string }> {
    const password = loadOrCreateKey(join(this.ctx.dataDir, 'gateway-client.key'), 'gateway client key').toString(
      'base64url',
    );
    if (!(await this.credentials.verify(GATEWAY_USER, password)))
      await this.credentials.addOperator(GATEWAY_USER, password, 'gateway');
    return { username: GATEWAY_USER, password };
  }

  routes(): RouteDef[] {
    return accessRoutes({
      credentials: this.credentials,
      sessions: this.sessions,
      accessLog: this.accessLog,
      logins: new LoginGuard(),
    });
  }
}
