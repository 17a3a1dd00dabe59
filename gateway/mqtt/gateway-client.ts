import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { topicMatches } from '../../protocols/index.ts';

export interface MqttLogin {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
}

type Handler = (topic: string, payload: Buffer) => void | Promise<void>;

/** A publish as the embedded broker hands it to an in-process subscriber. */
export interface LocalPacket {
  topic: string;
  payload: Buffer | string;
}
export type LocalDeliver = (packet: LocalPacket, done: () => void) => void;

/** The embedded broker, as the gateway's client uses it in-process (no socket, no session to keep). */
export interface LocalBroker {
  subscribe(filter: string, deliver: LocalDeliver, done: () => void): void;
  unsubscribe(filter: string, deliver: LocalDeliver, done: () => void): void;
  publish(topic: string, payload: Buffer, retain: boolean): Promise<void>;
  /** QoS 2 publishes received before a stop and not yet released: handed to the handlers again at attach. */
  unreleased(): LocalPacket[];
}

/**
 * A broker reached over something other than MQTT (RabbitMQ's queues over AMQP): it hands over
 * what matches the filters and settles each message once `handle` is done with it (acknowledged
 * when it resolves, given to another consumer when it rejects).
 */
export interface ReportTransport {
  start(filters: string[], handle: (topic: string, payload: Buffer) => Promise<void>): Promise<void>;
  publish(topic: string, payload: Buffer, retain: boolean): Promise<void>;
  readonly connected: boolean;
  stop(): Promise<void>;
}

/**
 * The gateway's own MQTT client: intake's subscriptions and everything the gateway publishes
 * (commands, desired config, county notifications). Modules register their filters and handlers
 * before it connects, so nothing the broker delivers with the CONNACK (a backlog queued while the
 * gateway was down) arrives before someone listens; publishes made before it is up wait for it.
 * A message is acknowledged only once every handler is done with it (stored, for intake); one a
 * handler failed on is not acknowledged: the client reconnects and the broker sends it again.
 *
 * With the embedded broker the client is attached in-process instead: no socket, no session of
 * its own to persist, and many boxes' messages handled at once (their writes share commits). The
 * broker answers a QoS 2 publish only once the handlers are done with it; a QoS 1 one as it
 * arrives (aedes), so the client keeps a message its handler failed on and tries again.
 */
export class GatewayClient {
  /** Handler failures so far (each one retried, in-process). */
  failures = 0;
  private client: MqttClient | undefined;
  private local: { broker: LocalBroker; delivers: Map<string, LocalDeliver> } | undefined;
  private transport: ReportTransport | undefined;
  private readonly subscriptions = new Map<string, Handler>();
  private readonly connected: Promise<Publish>;
  private resolveConnected!: (p: Publish) => void;

  constructor(private readonly log: Logger) {
    this.connected = new Promise((r) => (this.resolveConnected = r));
  }

  /** Receive what matches these filters (QoS 1). Only before connect() or attach(). */
  subscribe(filters: string[], onMessage: Handler): void {
    if (this.client || this.local || this.transport) throw new Error('subscribe before the gateway client connects');
    for (const f of filters) this.subscriptions.set(f, onMessage);
  }

  /** The handlers for a topic, each once however many of its filters match. */
  private handlersFor(topic: string): Handler[] {
    return [...new Set([...this.subscriptions].filter(([f]) => topicMatches(f, topic)).map(([, h]) => h))];
  }

  /** In-process, on the embedded broker. */
  async attach(broker: LocalBroker): Promise<void> {
    const delivers = new Map<string, LocalDeliver>();
    this.local = { broker, delivers };
    // One broker subscription per filter; a publish matching several reaches each handler once.
    const handled = new WeakMap<LocalPacket, Set<Handler>>();
    for (const [filter, handler] of this.subscriptions) {
      const deliver: LocalDeliver = (packet, done) => {
        const seen = handled.get(packet) ?? new Set<Handler>();
        handled.set(packet, seen);
        // Never answer the broker synchronously: its queue would release the next publish in this stack frame.
        if (seen.has(handler)) return queueMicrotask(done);
        seen.add(handler);
        void this.untilHandled(handler, packet.topic, asBuffer(packet.payload), this.attached).then(() => done());
      };
      delivers.set(filter, deliver);
      await new Promise<void>((r) => broker.subscribe(filter, deliver, r));
    }
    const unreleased = broker.unreleased();
    for (const p of unreleased)
      for (const h of this.handlersFor(p.topic))
        await this.untilHandled(h, p.topic, asBuffer(p.payload), this.attached);
    this.log.info(
      { filters: [...this.subscriptions.keys()], unreleased: unreleased.length },
      'gateway attached to the embedded broker',
    );
    this.resolveConnected((topic, payload, retain) => broker.publish(topic, payload, retain));
  }

  private readonly attached = () => this.local !== undefined;

  /**
   * A message a handler failed on is handed over again, with back-off, until a handler takes it,
   * while `running()` (a store that is down holds the broker's queue, not the message's fate):
   * aedes acknowledges a QoS 1 publish as it arrives, so the box cannot be left to send it again,
   * and a report queue must not go on to the next report of the same box. False if stopped first.
   */
  private async untilHandled(handler: Handler, topic: string, payload: Buffer, running: () => boolean) {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(topic, payload);
        return true;
      } catch (e) {
        this.failures++;
        if (!running()) break;
        const waitMs = Math.min(100 * 2 ** (attempt - 1), 5000);
        this.log.error(
          { err: (e as Error).message, topic, attempt, waitMs },
          'a message could not be handled: trying again',
        );
        await new Promise((r) => setTimeout(r, waitMs));
        if (!running()) break;
      }
    }
    this.log.error({ topic }, 'gateway stopped before a message could be handled');
    return false;
  }

  /** Over a transport that is not MQTT (RabbitMQ's report queues). */
  async attachTransport(t: ReportTransport): Promise<void> {
    this.transport = t;
    const filters = [...this.subscriptions.keys()];
    const running = () => this.transport === t;
    await t.start(filters, async (topic, payload) => {
      const handled = await Promise.all(
        this.handlersFor(topic).map((h) => this.untilHandled(h, topic, payload, running)),
      );
      // Not acknowledged: RabbitMQ gives it, and what follows it, to the next consumer.
      if (!handled.every(Boolean)) throw new Error('gateway stopped before a report could be handled');
    });
    this.log.info({ filters }, 'gateway consuming its report queues');
    this.resolveConnected((topic, payload, retain) => t.publish(topic, payload, retain));
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
    client.handleMessage = (packet, acknowledge) => {
      const { topic } = packet;
      const payload = asBuffer(packet.payload);
      Promise.all(this.handlersFor(topic).map(async (h) => h(topic, payload))).then(
        () => acknowledge(),
        (e: Error) => {
          this.log.error({ err: e.message, topic }, 'a message could not be handled: not acknowledged, reconnecting');
          client.stream.destroy();
        },
      );
    };
    // Acknowledgements and commands are small packets: no Nagle delay on them.
    client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
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
    this.resolveConnected(async (topic, payload, retain) => {
      await client.publishAsync(topic, payload, { qos: 1, retain });
    });
  }

  get isConnected(): boolean {
    return this.local !== undefined || (this.transport?.connected ?? this.client?.connected ?? false);
  }

  /** Publish as the gateway (QoS 1), once connected. */
  async publish(topic: string, payload: Buffer, retain = false): Promise<void> {
    await (await this.connected)(topic, payload, retain);
  }

  async stop(): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    await transport?.stop();
    const local = this.local;
    this.local = undefined;
    if (local)
      for (const [filter, deliver] of local.delivers)
        await new Promise<void>((r) => local.broker.unsubscribe(filter, deliver, r));
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

type Publish = (topic: string, payload: Buffer, retain: boolean) => Promise<void>;

const asBuffer = (p: Buffer | string | Uint8Array): Buffer => (Buffer.isBuffer(p) ? p : Buffer.from(p));
