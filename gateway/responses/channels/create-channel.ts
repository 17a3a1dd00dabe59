import type { Logger } from 'pino';
import type { ChannelConfig } from '../response-plan.ts';
import type { Channel } from './channel.ts';
import { DashboardChannel } from './dashboard-channel.ts';
import { MqttChannel } from './mqtt-channel.ts';
import { SmsChannel } from './sms-channel.ts';
import { WebhookChannel } from './webhook-channel.ts';

export interface ChannelDeps {
  /** Publish on the broker as the gateway (for the MQTT channel). */
  publish: (topic: string, payload: Buffer) => Promise<void>;
  logger?: Logger;
}

export function createChannel(name: string, c: ChannelConfig, d: ChannelDeps): Channel {
  switch (c.type) {
    case 'webhook':
      return new WebhookChannel({
        name,
        url: c.url,
        secret: c.secret,
        timeoutMs: c.timeoutMs,
        attempts: c.attempts,
        logger: d.logger,
      });
    case 'sms':
      return new SmsChannel({
        name,
        url: c.url,
        token: c.token,
        sign: c.sign,
        timeZone: c.timeZone,
        timeoutMs: c.timeoutMs,
        attempts: c.attempts,
        logger: d.logger,
      });
    case 'mqtt':
      return new MqttChannel(name, d.publish);
    case 'dashboard':
      return new DashboardChannel(name);
  }
}
