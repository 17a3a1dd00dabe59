import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type AsyncMessage, Connection, type Consumer, type ConsumerProps, type Publisher } from 'rabbitmq-client';
import type { ReportTransport } from '../../mqtt/gateway-client.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { MQTT_EXCHANGE, mqttToRoutingKey, REPORTS_EXCHANGE, reportQueue, routingKeyToMqtt } from './names.ts';

export interface ReportQueuesOptions {
  /** `host:port` of every RabbitMQ node: the connection moves to the next when one is lost. */
  hosts: string[];
  vhost: string;
  username: string;
  password: string;
  tls: boolean;
  /** Quorum queues reports are hashed onto; changing it moves some boxes to another queue. */
  partitions: number;
  /** Messages in hand per queue: handled at once, one at a time per box and kind. */
  prefetch: number;
  /**
   * Sharing the queues with other workers: after `settleMs` (for the workers starting together to
   * see each other), this worker subscribes at once to the queues it `owns` and `standbyMs` later
   * to the rest. Undefined: every queue at once, as a lone gateway.
   */
  share?: { owns: (partition: number) => boolean; settleMs: number; standbyMs: number };
  log: Logger;
}

/** Quorum: replicated on a majority of nodes, so a node lost loses no acknowledged report. */
const QUEUE_ARGUMENTS = { 'x-queue-type': 'quorum' as const, 'x-single-active-consumer': true };

/**
 * The gateway's side of RabbitMQ: reports that boxes publish over MQTT reach `amq.topic`, are
 * bound (for intake's filters) onto a consistent-hash exchange and hashed by routing key — box and
 * kind — onto P quorum queues with a single active consumer each, so one worker at a time handles a
 * queue and a box's reports of one kind stay in order. A report is acknowledged to RabbitMQ only
 * once intake has committed it; the reports after a failed one of the same box and kind wait while
 * it is retried, and whatever is in hand when the worker dies goes to the next consumer.
 * Commands go back through `amq.topic` with publisher confirms.
 *
 * Every worker subscribes to every queue, so when the active one dies the next takes over at
 * once, in order (what the dead one had in hand goes back to the head of the queue). The queues are
 * shared out when workers start: each is first in line for its share, a standby for the rest. A
 * running worker never hands a queue over by itself: RabbitMQ 3.10 would start the next consumer
 * while the first still holds reports of the same boxes, and a box's reports could cross.
 */
export class ReportQueues implements ReportTransport {
  private conn: Connection | undefined;
  private consumers: Array<Consumer | undefined> = [];
  private setup: Omit<ConsumerProps, 'queue' | 'queueBindings'> | undefined;
  private handle: ((topic: string, payload: Buffer) => Promise<void>) | undefined;
  private standby: Promise<unknown> | undefined;
  private publisher: Publisher | undefined;
  private readonly order = new KeyedQueue();
  private stopping = false;

  constructor(private readonly o: ReportQueuesOptions) {}

  get connected(): boolean {
    return this.conn?.ready ?? false;
  }

  async start(filters: string[], handle: (topic: string, payload: Buffer) => Promise<void>): Promise<void> {
    const { o } = this;
    const conn = new Connection({
      hosts: o.hosts,
      vhost: o.vhost,
      username: o.username,
      password: o.password,
      tls: o.tls,
      connectionName: `roadwarden-gateway ${process.pid}`,
      heartbeat: 10,
      retryLow: 200,
      retryHigh: 5000,
      noDelay: true,
    });
    this.conn = conn;
    conn.on('error', (e: Error) => o.log.warn({ err: e.message }, 'RabbitMQ connection error'));
    conn.on('connection', () => o.log.info({ hosts: o.hosts }, 'RabbitMQ connected'));
    this.handle = handle;
    this.setup = {
      queueOptions: { durable: true, arguments: QUEUE_ARGUMENTS },
      qos: { prefetchCount: o.prefetch },
      concurrency: o.prefetch,
      exchanges: [{ exchange: REPORTS_EXCHANGE, type: 'x-consistent-hash', durable: true }],
      exchangeBindings: filters.map((f) => ({
        source: MQTT_EXCHANGE,
        destination: REPORTS_EXCHANGE,
        routingKey: mqttToRoutingKey(f),
      })),
    };
    this.publisher = conn.createPublisher({ confirm: true, maxAttempts: 3 });
    const all = Array.from({ length: o.partitions }, (_, i) => i);
    const share = o.share;
    if (!share) return void (await Promise.all(all.map((i) => this.consume(i))));
    await sleep(share.settleMs);
    const mine = all.filter((i) => share.owns(i));
    await Promise.all(mine.map((i) => this.consume(i)));
    o.log.info({ queues: mine.map(reportQueue) }, 'RabbitMQ: first in line for these report queues');
    // Standing by for the others, behind their owners; not awaited, so the gateway starts meanwhile.
    this.standby = sleep(share.standbyMs).then(() =>
      Promise.all(all.filter((i) => !mine.includes(i) && !this.stopping).map((i) => this.consume(i))),
    );
  }

  /** Subscribe to one queue: active on it if first in its line, else standing by. */
  private consume(i: number): Promise<void> {
    const queue = reportQueue(i);
    const consumer = this.conn!.createConsumer(
      {
        ...this.setup,
        queue,
        // The binding key of a consistent-hash exchange is the queue's weight on the ring.
        queueBindings: [{ queue, exchange: REPORTS_EXCHANGE, routingKey: '1' }],
      },
      (msg) => this.deliver(msg),
    );
    consumer.on('error', (e: Error) => this.o.log.warn({ err: e.message, queue }, 'RabbitMQ consumer error'));
    this.consumers[i] = consumer;
    return new Promise((r) => consumer.once('ready', () => r()));
  }

  private async deliver(msg: AsyncMessage): Promise<void> {
    const payload = asBuffer(msg.body);
    // The handler retries a failure itself: the next report of this box and kind waits for it.
    await this.order.run(msg.routingKey, () => this.handle!(routingKeyToMqtt(msg.routingKey), payload));
  }

  async publish(topic: string, payload: Buffer, retain: boolean): Promise<void> {
    if (!this.publisher) throw new Error('RabbitMQ publisher not started');
    if (retain)
      // The MQTT adapter keeps retained messages per node and only from MQTT publishers.
      this.o.log.debug({ topic }, 'RabbitMQ: published without retain');
    await this.publisher.send(
      {
        exchange: MQTT_EXCHANGE,
        routingKey: mqttToRoutingKey(topic),
        durable: true,
        headers: { 'x-mqtt-publish-qos': 1 },
      },
      payload,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.standby;
    await Promise.all(this.consumers.map((c) => c?.close()));
    this.consumers = [];
    await this.publisher?.close();
    await this.conn?.close();
    this.conn = undefined;
  }
}

const asBuffer = (b: unknown): Buffer =>
  Buffer.isBuffer(b) ? b : typeof b === 'string' ? Buffer.from(b) : Buffer.from(JSON.stringify(b));
