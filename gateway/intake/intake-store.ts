import type Database from 'better-sqlite3-multiple-ciphers';
import type {
  CommandResultMessage,
  DecodedPublish,
  EventMessage,
  EvidenceManifest,
  SelfTestReport,
  StatusMessage,
  TelemetryMessage,
} from '../../protocols/index.ts';
import type { FaceIndex } from '../archive/face-store.ts';
import { writeBatch } from '../store/write-batch.ts';

export type StoreOutcome = 'stored' | 'duplicate';

const changed = (r: Database.RunResult): StoreOutcome => (r.changes ? 'stored' : 'duplicate');

/**
 * Where intake writes: one table per message kind, each keyed by the message id, so a message
 * re-sent after a reconnect (QoS 1 may deliver twice) is stored once. Status and telemetry also
 * update the device row (availability, last telemetry, flags, sequence gaps).
 */
export class IntakeStore {
  private readonly s;

  constructor(
    private readonly db: Database.Database,
    /** Takes the face descriptors out of evidence manifests and keeps them encrypted. */
    private readonly faces?: FaceIndex,
  ) {
    this.s = {
      event: db.prepare(
        `INSERT OR IGNORE INTO events (id, device_id, kind, severity, source, ts, received_at, incident_id, evidence_id, body)
         VALUES (@id, @deviceId, @kind, @severity, @source, @ts, @receivedAt, @incidentId, @evidenceId, @body)`,
      ),
      telemetry: db.prepare('INSERT OR IGNORE INTO telemetry (id, device_id, ts, body) VALUES (?, ?, ?, ?)'),
      result: db.prepare(
        'INSERT OR IGNORE INTO command_results (id, device_id, command_id, name, ok, code, message, ts, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      evidence: db.prepare('INSERT OR IGNORE INTO evidence (id, device_id, event_id, ts, body) VALUES (?, ?, ?, ?, ?)'),
      ensureDevice: db.prepare('INSERT OR IGNORE INTO devices (id) VALUES (?)'),
      status: db.prepare(
        'UPDATE devices SET state = ?, bd_seq = ?, firmware = coalesce(?, firmware), last_seen = ? WHERE id = ?',
      ),
      seqOf: db.prepare('SELECT telemetry_seq AS seq FROM devices WHERE id = ?'),
      deviceTelemetry: db.prepare(
        `UPDATE devices SET last_telemetry = ?, flags = ?, config_version = coalesce(?, config_version), last_seen = ?,
           telemetry_seq = ?, telemetry_gaps = telemetry_gaps + ? WHERE id = ?`,
      ),
      selftest: db.prepare(
        'INSERT OR IGNORE INTO selftests (id, device_id, ts, received_at, ok, body) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      dead: db.prepare('INSERT INTO dead_letters (topic, payload, code, reason, received_at) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  async store(d: DecodedPublish, receivedAt: string): Promise<StoreOutcome> {
    // Descriptors go to the face index first (idempotent per evidence and face), then the manifest without them.
    const manifest =
      d.topic.kind === 'evidence' && this.faces ? await this.faces.record(d.message as EvidenceManifest) : undefined;
    return writeBatch(this.db).write((): StoreOutcome => {
      this.s.ensureDevice.run(d.message.deviceId);
      switch (d.topic.kind) {
        case 'event':
          return this.event(d.message as EventMessage, receivedAt);
        case 'telemetry':
          return this.telemetry(d.message as TelemetryMessage);
        case 'status': {
          const m = d.message as StatusMessage;
          this.s.status.run(m.state, m.bdSeq, m.firmware ?? null, m.ts, m.deviceId);
          return 'stored';
        }
        case 'command_result': {
          const m = d.message as CommandResultMessage;
          return changed(
            this.s.result.run(
              m.id,
              m.deviceId,
              m.commandId,
              m.name,
              m.ok ? 1 : 0,
              m.code ?? null,
              m.message ?? null,
              m.ts,
              JSON.stringify(m),
            ),
          );
        }
        case 'evidence': {
          const m = d.message as EvidenceManifest;
          if (
            this.s.evidence.run(m.evidenceId, m.deviceId, m.eventId ?? null, m.ts, JSON.stringify(manifest ?? m))
              .changes === 0
          )
            return 'duplicate';
          return 'stored';
        }
        case 'selftest': {
          const m = d.message as SelfTestReport;
          return changed(this.s.selftest.run(m.id, m.deviceId, m.ts, receivedAt, m.ok ? 1 : 0, JSON.stringify(m)));
        }
        default:
          // Commands and desired config are what the gateway sends; hearing them back is not intake.
          return 'duplicate';
      }
    });
  }

  async deadLetter(topic: string, payload: Buffer, code: string, reason: string, receivedAt: string): Promise<void> {
    await writeBatch(this.db).run(() => this.s.dead.run(topic, payload, code, reason, receivedAt));
  }

  /** Drop refused messages received before `before`, and all but the newest `keep`; returns how many went. */
  async pruneDeadLetters(before: string, keep: number): Promise<number> {
    return writeBatch(this.db).write(
      () =>
        this.db.prepare('DELETE FROM dead_letters WHERE received_at < ?').run(before).changes +
        this.db
          .prepare(
            'DELETE FROM dead_letters WHERE seq <= (SELECT seq FROM dead_letters ORDER BY seq DESC LIMIT 1 OFFSET ?)',
          )
          .run(keep).changes,
    );
  }

  /** How many refused messages are kept. */
  async deadLetterCount(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
  }

  private event(m: EventMessage, receivedAt: string): StoreOutcome {
    return changed(
      this.s.event.run({
        id: m.id,
        deviceId: m.deviceId,
        kind: m.kind,
        severity: m.severity,
        source: m.source,
        ts: m.ts,
        receivedAt,
        incidentId: m.incidentId ?? null,
        evidenceId: m.evidenceId ?? null,
        body: JSON.stringify(m),
      }),
    );
  }

  private telemetry(m: TelemetryMessage): StoreOutcome {
    if (this.s.telemetry.run(m.id, m.deviceId, m.ts, JSON.stringify(m)).changes === 0) return 'duplicate';
    const prev = (this.s.seqOf.get(m.deviceId) as { seq: number | null }).seq;
    // seq wraps at 255; a jump of more than one means telemetry was lost on the way.
    const gap = prev === null ? 0 : ((m.seq - prev + 256) % 256) - 1;
    this.s.deviceTelemetry.run(
      JSON.stringify(m),
      JSON.stringify(m.flags),
      m.configVersion ?? null,
      m.ts,
      m.seq,
      Math.max(gap, 0),
      m.deviceId,
    );
    return 'stored';
  }
}
