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
  type EvidenceManifest,
} from '../../protocols/index.ts';
import type { EvidenceStore } from '../evidence/evidence-store.ts';
import type { IntakeStore } from './intake-store.ts';
import type { GatewayBus } from '../bus.ts';

export interface IntakeOptions {
  store: IntakeStore;
  /** Where evidence images go (encrypted, content-addressed). */
  images: EvidenceStore;
  /** Told of each new message by its kind. */
  bus: GatewayBus;
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

const DEAD_LETTER_KEEP_BYTES = 64 * 1024;

/** What intake listens to: every report of every device, and nothing the gateway itself sends. */
export const INTAKE_FILTERS = [
  filters.allStatus,
  filters.allTelemetry,
  filters.allSelfTests,
  filters.allOta,
  filters.allEvents,
  filters.allEvidence,
  filters.allImages,
  filters.allCommandResults,
];

/**
 * Every device message the gateway's client receives (QoS 1, from the embedded or an external
 * broker): validated against the protocol schemas, deduped by message id and stored. What fails
 * validation goes to the dead-letter table with the reason; nothing valid is dropped. Each new
 * message goes on the bus under its topic kind ('event', 'command_result', 'telemetry', 'status',
 * 'selftest', 'evidence').
 */
export class Intake {
  readonly stats: IntakeStats = { received: 0, stored: 0, duplicates: 0, deadLetters: 0 };
  private readonly now: () => Date;
  private readonly log: Logger | undefined;

  /** How long storing one message takes (validation and SQLite), by kind. */
  private readonly storeSeconds?: Histogram<'kind'>;

  constructor(private readonly o: IntakeOptions) {
    this.now = o.now ?? (() => new Date());
    this.log = o.logger?.child({ unit: 'intake' });
    const m = o.metrics;
    if (m) {
      counterOf(m, 'rw_intake_received_total', 'Device messages received', () => this.stats.received);
      counterOf(m, 'rw_intake_stored_total', 'Device messages stored', () => this.stats.stored);
      counterOf(m, 'rw_intake_duplicates_total', 'Re-sent messages folded into one', () => this.stats.duplicates);
      counterOf(
        m,
        'rw_intake_dead_letters_total',
        'Messages refused and kept in dead letters',
        () => this.stats.deadLetters,
      );
      this.storeSeconds = latency(m, 'rw_intake_store_seconds', 'A device message received → validated and stored', [
        'kind',
      ]);
    }
  }

  /** Handle one publish (tests and replays feed messages here directly too). */
  async onMessage(topic: string, payload: Buffer): Promise<void> {
    const t0 = performance.now();
    this.stats.received++;
    const receivedAt = this.now().toISOString();
    const t = parseTopic(topic);
    if (t.ok && t.value.kind === 'image')
      return await this.onImage(topic, t.value.deviceId, t.value.sha256, payload, receivedAt);
    const d = decodePublish(topic, payload);
    if (!d.ok) return await this.refuse(topic, payload, d.error.code, d.error.message, receivedAt);
    if (
      d.value.topic.kind === 'evidence' &&
      manifestHash(d.value.message) !== (d.value.message as EvidenceManifest).hash
    ) {
      return await this.refuse(
        topic,
        payload,
        'bad_hash',
        'evidence manifest hash does not match its content (altered on the way?)',
        receivedAt,
      );
    }
    if ((await this.o.store.store(d.value, receivedAt)) === 'duplicate') {
      this.stats.duplicates++;
      // A result sent again may be one whose first handler died before acting on it (another
      // worker, a kill): answering it twice does nothing, not answering it fails the on-site response.
      if (d.value.topic.kind === 'command_result')
        this.o.bus.emit('command_result', d.value.message as CommandResultMessage);
      return;
    }
    this.stats.stored++;
    this.storeSeconds?.observe({ kind: d.value.topic.kind }, secondsSince(t0));
    (this.o.bus.emit as (k: string, m: unknown) => boolean)(d.value.topic.kind, d.value.message);
  }

  private async onImage(
    topic: string,
    deviceId: string,
    sha256: string,
    payload: Buffer,
    receivedAt: string,
  ): Promise<void> {
    const c = checkImage(sha256, payload);
    if (!c.ok) return await this.refuse(topic, payload, c.error.code, c.error.message, receivedAt);
    if ((await this.o.images.put(deviceId, sha256, payload)) === 'duplicate') this.stats.duplicates++;
    else this.stats.stored++;
  }

  private async refuse(
    topic: string,
    payload: Buffer,
    code: string,
    reason: string,
    receivedAt: string,
  ): Promise<void> {
    this.stats.deadLetters++;
    // Keep the head of a big payload: enough to see what it was, not megabytes of it.
    await this.o.store.deadLetter(topic, payload.subarray(0, DEAD_LETTER_KEEP_BYTES), code, reason, receivedAt);
    this.log?.warn({ topic, code, reason }, 'message refused: kept in dead letters');
  }
}
