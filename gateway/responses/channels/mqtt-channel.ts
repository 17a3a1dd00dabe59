import { topics } from '../../../protocols/index.ts';
import { notificationJson, type Channel, type DeliveryResult, type Notification } from './channel.ts';

/**
 * Notifications as JSON on the broker for county systems (a command platform, a big screen):
 * `rw-county/v1/{channel}/{kind}`, QoS 1. Subscribers need an operator account with a reading
 * role; delivery counts as done when the broker has accepted the message.
 */
export class MqttChannel implements Channel {
  constructor(
    readonly name: string,
    private readonly publish: (topic: string, payload: Buffer) => Promise<void>,
  ) {}

  async send(n: Notification): Promise<DeliveryResult> {
    const payload = Buffer.from(notificationJson(n));
    try {
      await this.publish(topics.county(this.name, n.kind), payload);
      return { ok: true, attempts: 1 };
    } catch (e) {
      return { ok: false, attempts: 1, error: `broker refused: ${(e as Error).message}` };
    }
  }
}
