import type { BrokerModule } from '../broker/module.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';

/**
 * Connects the gateway's own client, after every module that listens has subscribed and before
 * any that serves people: in-process on the embedded broker; over MQTT to an external one, where
 * what the broker kept for the gateway while it was down comes in now. Stops before the broker,
 * while the broker can still acknowledge what the client sent.
 */
export class MqttModule implements GatewayModule {
  readonly name = 'mqtt';

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { broker: BrokerModule },
  ) {}

  async start(): Promise<void> {
    const { embedded } = this.deps.broker;
    if (embedded) await this.ctx.mqtt.attach(embedded.local());
    else await this.ctx.mqtt.connect(await this.deps.broker.gatewayLogin());
  }

  async stop(): Promise<void> {
    await this.ctx.mqtt.stop();
  }

  health(): Record<string, unknown> {
    const { mqtt } = this.ctx;
    return { gatewayClient: { connected: mqtt.isConnected, handlerFailures: mqtt.failures } };
  }
}
