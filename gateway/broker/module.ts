import type { AccessModule } from '../access/module.ts';
import { brokerType } from '../config/broker-type.ts';
import { GATEWAY_DEFAULTS } from '../config/defaults.ts';
import type { GatewayContext } from '../context.ts';
import type { DevicesModule } from '../devices/module.ts';
import type { GatewayModule } from '../module.ts';
import type { MqttLogin, ReportTransport } from '../mqtt/gateway-client.ts';
import { EmbeddedBroker } from './embedded-broker.ts';
import { RabbitBroker } from './rabbitmq/rabbit-broker.ts';

/**
 * The MQTT broker: the embedded aedes by default; an external one (`broker.url`); or a RabbitMQ
 * cluster, whose log-ins and topic rights the gateway answers over HTTP. Ends an account's
 * connections when it changes (embedded); lets boxes in once every module has started.
 */
export class BrokerModule implements GatewayModule {
  readonly name = 'broker';
  /** Set when the broker is the embedded aedes. */
  embedded: EmbeddedBroker | undefined;
  /** Set when the broker is a RabbitMQ cluster. */
  rabbit: RabbitBroker | undefined;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { access: AccessModule; devices: DevicesModule },
  ) {}

  async start(): Promise<void> {
    const { config, dataDir, log, metrics, bus } = this.ctx;
    const b = config.broker;
    const placeOf = (id: string) => this.deps.devices.places.get(id);
    const type = brokerType(config);
    if (type === 'external') return;
    if (type === 'rabbitmq') {
      this.rabbit = new RabbitBroker({
        config: b!.rabbitmq!,
        worker: this.ctx.worker,
        shared: this.ctx.sql.dialect.name === 'postgres',
        credentials: this.deps.access.credentials,
        placeOf,
        log,
        metrics,
      });
      return this.rabbit.start();
    }
    this.embedded = new EmbeddedBroker({
      dataDir,
      storageKey: this.ctx.storageKey,
      host: b?.host ?? GATEWAY_DEFAULTS.brokerHost,
      port: b?.port ?? GATEWAY_DEFAULTS.brokerPort,
      tls: b?.tls,
      willGraceSeconds: b?.willGraceSeconds,
      limits: b?.limits,
      credentials: this.deps.access.credentials,
      placeOf,
      logger: log,
      metrics,
    });
    await this.embedded.start();
    // A new account has no connections yet; a changed or removed one must log in again.
    bus.on('account_changed', (c) => c.change !== 'created' && this.embedded?.disconnect(c.username));
    bus.once('started', () => this.embedded?.admitDevices());
  }

  /** How the gateway's own client logs in: its account on the embedded broker, or the configured one. */
  async gatewayLogin(): Promise<MqttLogin> {
    const b = this.ctx.config.broker;
    if (!this.embedded)
      return {
        url: b!.url!,
        username: b?.username,
        password: b?.password,
        clientId: b?.clientId ?? 'roadwarden-gateway:intake',
      };
    const { username, password } = await this.deps.access.gatewayLogin();
    return { url: `mqtt://127.0.0.1:${this.embedded.port}`, username, password, clientId: `${username}:intake` };
  }

  /** The report queues the gateway consumes on RabbitMQ, logged in as its own account. */
  async reportTransport(): Promise<ReportTransport | undefined> {
    return this.rabbit?.reportQueues(await this.deps.access.gatewayLogin());
  }

  async stop(): Promise<void> {
    await this.embedded?.stop();
    await this.rabbit?.stop();
  }

  health(): Record<string, unknown> {
    if (this.rabbit) return { broker: this.rabbit.stats };
    return { mqttPort: this.embedded?.port, broker: this.embedded?.stats ?? 'external' };
  }
}
