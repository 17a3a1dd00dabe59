import type { Logger } from 'pino';
import { CredentialStore } from '../../access/credential-store.ts';
import { CredentialWatch } from '../../access/credential-watch.ts';
import { deviceAuthKey } from '../../access/device-auth-key.ts';
import type { GatewayConfig } from '../../config/schema.ts';
import { DeviceStore } from '../../devices/device-store.ts';
import { PlaceCache } from '../../devices/place-cache.ts';
import { loadStorageKey } from '../../store/key-file.ts';
import type { SqlDatabase } from '../../store/sql.ts';
import { openStorage } from '../../store/storage.ts';
import { RabbitAuthServer } from './auth-server.ts';

/**
 * RabbitMQ's HTTP auth backend as a process of its own (`gateway rabbitmq-auth`), beside each
 * RabbitMQ node: boxes can log in while gateway workers come and go. It reads accounts and box
 * places from the shared database; account changes take effect within half a second.
 */
export class RabbitAuthService {
  port: number | undefined;
  private sql: SqlDatabase | undefined;
  private places: PlaceCache | undefined;
  private watch: CredentialWatch | undefined;
  private server: RabbitAuthServer | undefined;

  constructor(
    private readonly config: GatewayConfig,
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const r = this.config.broker?.rabbitmq;
    if (!r) throw new Error('gateway.yaml has no broker.rabbitmq section');
    const sql = (this.sql = await openStorage(this.config, this.dataDir, loadStorageKey(this.config, this.dataDir)));
    const creds = new CredentialStore(sql, deviceAuthKey(this.dataDir));
    const places = (this.places = new PlaceCache(new DeviceStore(sql), 2000, this.log));
    await places.start();
    this.watch = new CredentialWatch(creds, () => {}, 500, this.log);
    await this.watch.start();
    this.server = new RabbitAuthServer({
      config: r,
      credentials: creds,
      placeOf: (id) => places.get(id),
      log: this.log,
    });
    this.port = await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.watch?.stop();
    this.places?.stop();
    await this.sql?.close();
  }
}
