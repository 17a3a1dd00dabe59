import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { counterOf, latency, secondsSince, type Metrics } from '../metrics.ts';
import {
  checkImage,
  decodePublish,
  manifestHash,
  filters,
  parseTopic,
  type CommandResultMessage,
  type EventMessage,
  type EvidenceManifest,
  type SelfTestReport,
  type StatusMessage,
  type TelemetryMessage,
} from '../../protocols/index.ts';
import type { EvidenceStore } from '../evidence/evidence-store.ts';
import type { IntakeStore } from './intake-store.ts';

export interface IntakeOptions {
  url: string;
  username?: string;
  password?: string;
  store: IntakeStore;
  /** Where evidence images go (encrypted, content-addressed). */
  images: EvidenceStore;
  clientId?: string;
  now?: () => Date;
  logger?: Logger;
  metrics?: Metrics;
}

export interface IntakeStats {
  received: number;
  stored: number;
  duplicates: number;
  deadLetters: number;
}

/** What intake emits for each new (not duplicate) message, by topic kind. */
export interface IntakeEvents {
  event: [EventMessage];
  command_result: [CommandResultMessage];
  telemetry: [TelemetryMessage];
  status: [StatusMessage];
  selftest: [SelfTestReport];
  evidence: [EvidenceManifest];
}

const DEAD_LETTER_KEEP_BYTES = 64 * 1024;

/** What intake listens to: every report of every device, and nothing the gateway itself sends. */
export const INTAKE_FILTERS = [filters.allStatus, filters.allTelemetry, filters.allSelfTests, filters.allEvents, filters.allEvidence, filters.allImages, filters.allCommandResults];

/**
 * Takes every device message off the broker (embedded or external) with QoS 1, validates it against the protocol schemas, dedupes it by message id and stores it.
 * What fails validation goes to the dead-letter table with the reason; nothing valid is dropped.
 * Emits each new message under its topic kind ('event', 'command_result', 'telemetry', 'status',
 * 'selftest'), with the decoded message.
 */
export class Intake extends EventEmitter<IntakeEvents> {
  readonly stats: IntakeStats = { received: 0, stored: 0, duplicates: 0, deadLetters: 0 };
  private client: MqttClient | undefined;
  private readonly now: () => Date;
  private readonly log: Logger | undefined;

  /** How long storing one message takes (validation and SQLite), by kind. */
  private readonly storeSeconds?: Histogram<'kind'>;

  constructor(private readonly o: IntakeOptions) {
    super();
    this.now = o.now ?? (() => new Date());
    this.log = o.logger?.child({ unit: 'intake' });
    const m = o.metrics;
    if (m) {
      counterOf(m, 'rw_intake_received_total', 'Device messages received', () => this.stats.received);
      counterOf(m, 'rw_intake_stored_total', 'Device messages stored', () => this.stats.stored);
      counterOf(m, 'rw_intake_duplicates_total', 'Re-sent messages folded into one', () => this.stats.duplicates);
      counterOf(m, 'rw_intake_dead_letters_total', 'Messages refused and kept in dead letters', () => this.stats.deadLetters);
      this.storeSeconds = latency(m, 'rw_intake_store_seconds', 'A device message received → validated and stored', ['kind']);
    }
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.o.url, {
      clientId: this.o.clientId ?? 'roadwarden-gateway:intake',
      username: this.o.username,
      password: this.o.password,
      // Persistent: the broker queues reports while intake is away (a restart, a network blip).
      clean: false,
      reconnectPeriod: 1000,
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (e) => this.log?.warn({ err: e.message }, 'intake connection error'));
    await client.subscribeAsync(Object.fromEntries(INTAKE_FILTERS.map((f) => [f, { qos: 1 as const }])));
    this.log?.info({ filters: INTAKE_FILTERS }, 'intake subscribed');
  }

  /** Publish as the gateway (QoS 1): commands and desired config for boxes. */
  async publish(topic: string, payload: Buffer, retain = false): Promise<void> {
    if (!this.client) throw new Error('intake is not connected');
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
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

  /** Handle one publish; exposed so tests and replays can feed messages directly. */
  onMessage(topic: string, payload: Buffer): void {
    const t0 = performance.now();
    this.stats.received++;
    const receivedAt = this.now().toISOString();
    const t = parseTopic(topic);
    if (t.ok && t.value.kind === 'image') return this.onImage(topic, t.value.deviceId, t.value.sha256, payload, receivedAt);
    const d = decodePublish(topic, payload);
    if (!d.ok) return this.refuse(topic, payload, d.error.code, d.error.message, receivedAt);
    if (d.value.topic.kind === 'evidence' && manifestHash(d.value.message) !== (d.value.message as EvidenceManifest).hash) {
      return this.refuse(topic, payload, 'bad_hash', 'evidence manifest hash does not match its content (altered on the way?)', receivedAt);
    }
    if (this.o.store.store(d.value, receivedAt) === 'duplicate') {
      this.stats.duplicates++;
      return;
    }
    this.stats.stored++;
    this.storeSeconds?.observe({ kind: d.value.topic.kind }, secondsSince(t0));
    (this.emit as (k: string, m: unknown) => boolean)(d.value.topic.kind, d.value.message);
  }

  private onImage(topic: string, deviceId: string, sha256: string, payload: Buffer, receivedAt: string): void {
    const c = checkImage(sha256, payload);
    if (!c.ok) return this.refuse(topic, payload, c.error.code, c.error.message, receivedAt);
    if (this.o.images.put(deviceId, sha256, payload) === 'duplicate') this.stats.duplicates++;
    else this.stats.stored++;
  }

  private refuse(topic: string, payload: Buffer, code: string, reason: string, receivedAt: string): void {
    this.stats.deadLetters++;
    // Keep the head of a big payload: enough to see what it was, not megabytes of it.
    this.o.store.deadLetter(topic, payload.subarray(0, DEAD_LETTER_KEEP_BYTES), code, reason, receivedAt);
    this.log?.warn({ topic, code, reason }, 'message refused: kept in dead letters');
  }
}
