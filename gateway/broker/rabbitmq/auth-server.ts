import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { CredentialStore } from '../../access/credential-store.ts';
import type { RabbitConfig } from '../../config/broker-type.ts';
import { GATEWAY_DEFAULTS } from '../../config/defaults.ts';
import type { PlaceOf } from '../acl.ts';
import { BrokerLogin } from '../broker-login.ts';
import { type AuthPath, RabbitAuthBackend } from './auth-backend.ts';

const PATHS = new Set<string>(['user', 'vhost', 'resource', 'topic']);
/** RabbitMQ's requests are a few hundred bytes; anything far larger is not RabbitMQ. */
const MAX_BODY = 8192;

export interface RabbitAuthOptions {
  config: RabbitConfig;
  credentials: CredentialStore;
  placeOf: PlaceOf;
  log: Logger;
}

/**
 * The HTTP endpoint RabbitMQ's `rabbitmq_auth_backend_http` calls (POST, form-encoded): answers
 * `allow` or `deny` as plain text, by the broker log-in rule and the auth backend's rights. It
 * listens where `broker.rabbitmq.auth` says, on loopback by default: RabbitMQ cannot send a secret
 * with its requests, so only the broker's hosts should reach it. Run in a gateway or on its own
 * (`gateway rabbitmq-auth`).
 */
export class RabbitAuthServer {
  private server: Server | undefined;
  private readonly login: BrokerLogin;
  /** Checks allowed and denied, by path. */
  readonly backend: RabbitAuthBackend;
  private readonly log: Logger;

  constructor(private readonly o: RabbitAuthOptions) {
    this.log = o.log;
    this.login = new BrokerLogin(o.credentials, o.log);
    const vhost = o.config.vhost ?? GATEWAY_DEFAULTS.rabbitmqVhost;
    this.backend = new RabbitAuthBackend(this.login, o.credentials, o.placeOf, vhost, o.log);
  }

  get stats(): Record<string, unknown> {
    return { ...this.login.stats, auth: this.backend.stats };
  }

  /** Listens; returns the port (0 in the config picks a free one). */
  async start(): Promise<number> {
    const host = this.o.config.auth?.host ?? GATEWAY_DEFAULTS.brokerHost;
    const port = this.o.config.auth?.port ?? GATEWAY_DEFAULTS.rabbitmqAuthPort;
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const bound = (server.address() as AddressInfo).port;
    this.log.info({ host, port: bound }, 'RabbitMQ auth backend listening');
    return bound;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = /^\/auth\/([a-z]+)$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || !path || !PATHS.has(path)) return void res.writeHead(404).end();
    let body = '';
    for await (const chunk of req) {
      body += chunk;
      if (body.length > MAX_BODY) return void res.writeHead(413).end('deny');
    }
    let answer = 'deny';
    try {
      const ok = await this.backend.decide(path as AuthPath, Object.fromEntries(new URLSearchParams(body)));
      answer = ok ? 'allow' : 'deny';
    } catch (e) {
      this.log.error({ err: (e as Error).message, path }, 'RabbitMQ auth backend failed: answered deny');
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
