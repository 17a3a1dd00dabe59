import type { BrokerModule } from '../broker/module.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../module.ts';

/**
 * Connects the gateway's own client, after every module that listens has subscribed and before
 * any that serves people: in-process on the embedded broker; over MQTT to an external one, or
 * over AMQP to RabbitMQ's report queues, where what the broker kept while the gateway was down
 * comes in now. Stops before the broker,
 * while the broker can still acknowledge what the client sent.
 */
export class MqttModule implements GatewayModule {
  readonly name = 'mqtt';

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: { broker: BrokerModule },
  ) {}

  async start(): Promise<void> {
    const { broker } = this.deps;
    const transport = await broker.reportTransport();
    if (broker.embedded) await this.ctx.mqtt.attach(broker.embedded.local());
    else if (transport) await this.ctx.mqtt.attachTransport(transport);
    else await this.ctx.mqtt.connect(await broker.gatewayLogin());
  }

  async stop(): Promise<void> {
    await this.ctx.mqtt.stop();
  }

  health(): Record<string, unknown> {
    const { mqtt } = this.ctx;
    return { gatewayClient: { connected: mqtt.isConnected, handlerFailures: mqtt.failures } };
  }
}
