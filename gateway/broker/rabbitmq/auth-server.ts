import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AuthPath, RabbitAuthBackend } from './auth-backend.ts';

const PATHS = new Set<string>(['user', 'vhost', 'resource', 'topic']);
/** RabbitMQ's requests are a few hundred bytes; anything far larger is not RabbitMQ. */
const MAX_BODY = 8192;

/**
 * The HTTP endpoint RabbitMQ's `rabbitmq_auth_backend_http` calls (POST, form-encoded): answers
 * `allow` or `deny` as plain text. It listens on loopback unless configured: RabbitMQ cannot send
 * a secret with its requests, so only the broker's hosts should reach it.
 */
export class RabbitAuthServer {
  private server: Server | undefined;

  constructor(
    private readonly backend: RabbitAuthBackend,
    private readonly log: Logger,
  ) {}

  async start(host: string, port: number): Promise<number> {
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
