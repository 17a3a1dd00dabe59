import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  encodeMessage,
  filters,
  parseTopic,
  topics,
  type IdGenerator,
  type StatusMessage,
} from '../protocols/index.ts';
import type { Outbox } from './outbox.ts';

export interface MqttLinkOptions {
  url: string;
  deviceId: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  protocolVersion?: 4 | 5;
  keepaliveS?: number;
  outbox: Outbox;
  newId: IdGenerator;
  /** Birth/death sequence: the will and the birth that follows it carry the same number. */
  bdSeq: number;
  firmware?: string;
  /** the models and config template in use, named in the birth message */
  parts?: StatusMessage['parts'];
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** QoS 1 publishes awaiting PUBACK at once. */
  window?: number;
  now?: () => Date;
  random?: () => number;
  logger?: Logger;
}

/** CONNACK codes that mean "your credentials are wrong", in MQTT 3.1.1 and 5. */
const AUTH_REFUSED = new Set([4, 5, 134, 135]);
/** CONNACK codes for an MQTT version the broker does not speak (3.1.1, then 5). */
const VERSION_REFUSED = new Set([1, 132]);

/**
 * The box's MQTT connection: persistent session (client id = device id), retained online/offline
 * status with a last will, reconnect with jittered exponential back-off, and the outbox pump —
 * every stored message is published with QoS 1 and removed only when the broker acknowledged it.
 * Events: 'connected', 'disconnected', 'auth_refused' (Error), 'command' (name, payload), 'config' (payload).
 */
export class MqttLink extends EventEmitter {
  private client: MqttClient | undefined;
  private lastSent = 0;
  private inflight = 0;
  private delay: number;
  private authRefused = false;
  private readonly o: Required<
    Omit<MqttLinkOptions, 'username' | 'password' | 'ca' | 'firmware' | 'parts' | 'logger'>
  > &
    MqttLinkOptions;
  private readonly log: Logger | undefined;

  constructor(opts: MqttLinkOptions) {
    super();
    this.o = {
      protocolVersion: 4,
      keepaliveS: 30,
      reconnectMinMs: 1000,
      reconnectMaxMs: 60_000,
      window: 32,
      now: () => new Date(),
      random: Math.random,
      ...opts,
    };
    this.delay = this.o.reconnectMinMs;
    this.log = opts.logger?.child({ unit: 'mqtt' });
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Whether the broker refused our credentials on the last attempt (a telemetry flag). */
  get refused(): boolean {
    return this.authRefused;
  }

  start(): void {
    const id = this.o.deviceId;
    const will = this.status('offline', 'connection lost');
    const options: IClientOptions = {
      clientId: id,
      username: this.o.username,
      password: this.o.password,
      ca: this.o.ca,
      protocolVersion: this.o.protocolVersion,
      keepalive: this.o.keepaliveS,
      clean: false,
      reconnectPeriod: this.jittered(),
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      resubscribe: true,
      queueQoSZero: false,
      will: { topic: topics.status(id), payload: will, qos: 1, retain: true },
      ...(this.o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 7 * 24 * 3600 } } : {}),
    };
    const client = mqtt.connect(this.o.url, options);
    this.client = client;
    client.on('connect', (connack) => {
      // An alarm is one small packet: send it now, not after the broker acknowledges the last one (Nagle).
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.onConnect(connack.sessionPresent);
    });
    client.on('offline', () => this.backoff('offline'));
    client.on('reconnect', () => this.backoff('reconnect'));
    client.on('close', () => {
      if (this.inflight)
        this.log?.debug(
          { inflight: this.inflight },
          'connection closed with publishes in flight; they resend on reconnect',
        );
      this.emit('disconnected');
    });
    client.on('error', (err: Error & { code?: number }) => {
      if (err.code !== undefined && AUTH_REFUSED.has(err.code)) {
        if (!this.authRefused)
          this.log?.error({ code: err.code }, 'broker refused the device credentials; retrying with back-off');
        this.authRefused = true;
        this.emit('auth_refused', err);
      } else if (err.code !== undefined && VERSION_REFUSED.has(err.code)) {
        this.log?.error(
          { code: err.code, protocolVersion: this.o.protocolVersion ?? 4 },
          'the broker does not speak this MQTT version (the gateway’s embedded broker speaks 3.1.1 only): set gateway.protocolVersion: 4 in edge.yaml',
        );
      } else {
        this.log?.warn({ err: err.message }, 'mqtt error');
      }
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  /** Publish an offline status and close cleanly (the will is not fired on a clean disconnect). */
  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    const within = (p: Promise<unknown>, ms: number) =>
      Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);
    // A link that looks up may be dead underneath: say goodbye, but never wait long for it.
    if (c.connected)
      await within(
        c.publishAsync(topics.status(this.o.deviceId), this.status('offline', 'stopped'), { qos: 1, retain: true }),
        1000,
      );
    await within(c.endAsync(!c.connected), 1000);
    if (!c.disconnected) await c.endAsync(true);
  }

  /** New messages are in the outbox: publish them if we can. */
  kick(): void {
    this.pump();
  }

  private onConnect(sessionPresent: boolean): void {
    this.delay = this.o.reconnectMinMs;
    this.authRefused = false;
    const c = this.client!;
    const id = this.o.deviceId;
    this.log?.info({ sessionPresent }, 'connected to gateway');
    c.publish(topics.status(id), this.status('online'), { qos: 1, retain: true });
    if (!sessionPresent)
      c.subscribe({ [filters.deviceCommands(id)]: { qos: 1 }, [filters.deviceConfig(id)]: { qos: 1 } });
    // After a reconnect mqtt.js resends its own in-flight packets; continue after them.
    this.emit('connected');
    this.pump();
  }

  private pump(): void {
    const c = this.client;
    if (!c?.connected) return;
    const room = this.o.window - this.inflight;
    if (room <= 0) return;
    for (const item of this.o.outbox.next(this.lastSent, room)) {
      this.lastSent = item.seq;
      this.inflight++;
      // Alarms at QoS 2: the broker answers only once the gateway has stored it (PUBREC after
      // intake), so an alarm leaves the outbox only when it is safe at the centre.
      const qos = item.cls === 'alarm' ? 2 : 1;
      c.publish(item.topic, item.payload, { qos, retain: item.retain }, (err) => {
        this.inflight--;
        if (err) {
          // Not acknowledged: send it (and what followed) again.
          this.lastSent = Math.min(this.lastSent, item.seq - 1);
          this.log?.debug({ err: err.message, seq: item.seq }, 'publish failed');
        } else {
          this.o.outbox.ack(item.seq);
        }
        this.pump();
      });
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (!t.ok || t.value.deviceId !== this.o.deviceId) {
      this.log?.warn({ topic }, 'message on a topic that is not ours');
      return;
    }
    if (t.value.kind === 'command') this.emit('command', t.value.command, payload);
    else if (t.value.kind === 'config') this.emit('config', payload);
  }

  private status(state: 'online' | 'offline', reason?: string): Buffer {
    const m: StatusMessage = {
      v: 1,
      id: this.o.newId(),
      deviceId: this.o.deviceId,
      ts: this.o.now().toISOString(),
      state,
      bdSeq: this.o.bdSeq,
      ...(this.o.firmware ? { firmware: this.o.firmware } : {}),
      ...(state === 'online' && this.o.parts && Object.keys(this.o.parts).length ? { parts: this.o.parts } : {}),
      ...(reason ? { reason } : {}),
    };
    return encodeMessage('status', m);
  }

  /** Full jitter: a fleet that lost the gateway together does not come back in lockstep. */
  private jittered(): number {
    return Math.round(
      this.o.reconnectMinMs + this.o.random() * (this.delay - this.o.reconnectMinMs + this.o.reconnectMinMs / 2),
    );
  }

  private backoff(why: string): void {
    const c = this.client;
    if (!c) return;
    c.options.reconnectPeriod = this.jittered();
    this.log?.debug({ why, nextMs: c.options.reconnectPeriod }, 'reconnect scheduled');
    this.delay = Math.min(this.delay * 2, this.o.reconnectMaxMs);
  }
}
