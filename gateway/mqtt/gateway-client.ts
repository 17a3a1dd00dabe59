import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';

export interface MqttLogin {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
}

type Handler = (topic: string, payload: Buffer) => void | Promise<void>;

/**
 * The gateway's own MQTT client: intake's subscriptions and everything the gateway publishes
 * (commands, desired config, county notifications). Modules register their filters and handlers
 * before it connects, so nothing the broker delivers with the CONNACK (a backlog queued while the
 * gateway was down) arrives before someone listens; publishes made before it is up wait for it.
 * A message is acknowledged only once every handler is done with it (stored, for intake); one a
 * handler failed on is not acknowledged: the client reconnects and the broker sends it again.
 */
export class GatewayClient {
  private client: MqttClient | undefined;
  private readonly subscriptions = new Map<string, Handler>();
  private readonly connected: Promise<MqttClient>;
  private resolveConnected!: (c: MqttClient) => void;

  constructor(private readonly log: Logger) {
    this.connected = new Promise((r) => (this.resolveConnected = r));
  }

  /** Receive what matches these filters (QoS 1). Only before connect(). */
  subscribe(filters: string[], onMessage: Handler): void {
    if (this.client) throw new Error('subscribe before the gateway client connects');
    for (const f of filters) this.subscriptions.set(f, onMessage);
  }

  async connect(login: MqttLogin): Promise<void> {
    const client = mqtt.connect(login.url, {
      clientId: login.clientId,
      username: login.username,
      password: login.password,
      // Persistent: the broker queues reports while the gateway is away (a restart, a network blip).
      clean: false,
      reconnectPeriod: 1000,
    });
    this.client = client;
    const subs = [...this.subscriptions];
    client.handleMessage = (packet, acknowledge) => {
      const { topic } = packet;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      // A topic matching filters of two modules reaches each once.
      const handlers = new Set(subs.filter(([f]) => matches(f, topic)).map(([, h]) => h));
      Promise.all([...handlers].map(async (h) => h(topic, payload))).then(
        () => acknowledge(),
        (e: Error) => {
          this.log.error({ err: e.message, topic }, 'a message could not be handled: not acknowledged, reconnecting');
          client.stream.destroy();
        },
      );
    };
    client.on('error', (e) => this.log.warn({ err: e.message }, 'gateway MQTT client error'));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    if (this.subscriptions.size)
      await client.subscribeAsync(
        Object.fromEntries([...this.subscriptions.keys()].map((f) => [f, { qos: 1 as const }])),
      );
    this.log.info(
      { filters: [...this.subscriptions.keys()], clientId: login.clientId },
      'gateway MQTT client subscribed',
    );
    this.resolveConnected(client);
  }

  get isConnected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Publish as the gateway (QoS 1), once connected. */
  async publish(topic: string, payload: Buffer, retain = false): Promise<void> {
    const c = this.client?.connected ? this.client : await this.connected;
    await c.publishAsync(topic, payload, { qos: 1, retain });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    // A graceful end waits for acknowledgements of what is in flight; an unreachable broker never
    // sends them, so after a short while the connection is dropped instead.
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((r) => (timer = setTimeout(() => r(c.endAsync(true)), 2000)));
    await Promise.race([c.endAsync(!c.connected), forced]);
    clearTimeout(timer);
  }
}

/** MQTT filter matching (+ one level, # the rest). */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
