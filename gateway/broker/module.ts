import type { AccessModule } from '../access/module.ts';
import { GATEWAY_DEFAULTS } from '../config/defaults.ts';
import type { GatewayContext } from '../context.ts';
import type { DevicesModule } from '../devices/module.ts';
import type { GatewayModule } from '../module.ts';
import type { MqttLogin } from '../mqtt/gateway-client.ts';
import { EmbeddedBroker } from './embedded-broker.ts';

/**
 * The MQTT broker: the embedded aedes unless `broker.url` names an external one. Ends an account's
 * connections when it changes; lets boxes in once every module has started.
 */
export class BrokerModule implements GatewayModule {
  readonly name = 'broker';
  /** Undefined when `broker.url` names an external broker. */
  embedded: EmbeddedBroker | undefined;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { access: AccessModule; devices: DevicesModule },
  ) {}

  async start(): Promise<void> {
    const { config, dataDir, log, metrics, bus } = this.ctx;
    const b = config.broker;
    if (b?.url) return;
    this.embedded = new EmbeddedBroker({
      dataDir,
      storageKey: this.ctx.storageKey,
      host: b?.host ?? GATEWAY_DEFAULTS.brokerHost,
      port: b?.port ?? GATEWAY_DEFAULTS.brokerPort,
      tls: b?.tls,
      willGraceSeconds: b?.willGraceSeconds,
      limits: b?.limits,
      credentials: this.deps.access.credentials,
      placeOf: (id) => this.deps.devices.places.get(id),
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

  async stop(): Promise<void> {
    await this.embedded?.stop();
  }

  health(): Record<string, unknown> {
    return { mqttPort: this.embedded?.port, broker: this.embedded?.stats ?? 'external' };
  }
}
