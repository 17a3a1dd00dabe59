import type {
  CommandResultMessage,
  DecodedPublish,
  EventMessage,
  EvidenceManifest,
  OtaStatusMessage,
  SelfTestReport,
  StatusMessage,
  TelemetryMessage,
} from '../../protocols/index.ts';
import type { FaceIndex } from '../archive/face-store.ts';
import type { SqlDatabase, SqlQueryable, SqlRunResult } from '../store/sql.ts';

export type StoreOutcome = 'stored' | 'duplicate';

const changed = (r: SqlRunResult): StoreOutcome => (r.changes ? 'stored' : 'duplicate');

/**
 * Where intake writes: one table per message kind, each keyed by the message id, so a message
 * re-sent after a reconnect (QoS 1 may deliver twice) is stored once. Status and telemetry also
 * update the device row (availability, last telemetry, flags, sequence gaps).
 */
export class IntakeStore {
  constructor(
    private readonly sql: SqlDatabase,
    /** Takes the face descriptors out of evidence manifests and keeps them encrypted. */
    private readonly faces?: FaceIndex,
  ) {}

  async store(d: DecodedPublish, receivedAt: string): Promise<StoreOutcome> {
    // Descriptors go to the face index first (idempotent per evidence and face), then the manifest without them.
    const manifest =
      d.topic.kind === 'evidence' && this.faces ? await this.faces.record(d.message as EvidenceManifest) : undefined;
    return this.sql.transaction(async (tx): Promise<StoreOutcome> => {
      await tx.run('INSERT INTO devices (id) VALUES (?) ON CONFLICT DO NOTHING', [d.message.deviceId]);
      switch (d.topic.kind) {
        case 'event':
          return event(tx, d.message as EventMessage, receivedAt);
        case 'telemetry':
          return telemetry(tx, d.message as TelemetryMessage);
        case 'status': {
          const m = d.message as StatusMessage;
          await tx.run(
            'UPDATE devices SET state = ?, bd_seq = ?, firmware = coalesce(?, firmware), last_seen = ? WHERE id = ?',
            [m.state, m.bdSeq, m.firmware ?? null, m.ts, m.deviceId],
          );
          return 'stored';
        }
        case 'command_result': {
          const m = d.message as CommandResultMessage;
          return changed(
            await tx.run(
              `INSERT INTO command_results (id, device_id, command_id, name, ok, code, message, ts, body)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
              [m.id, m.deviceId, m.commandId, m.name, m.ok, m.code ?? null, m.message ?? null, m.ts, JSON.stringify(m)],
            ),
          );
        }
        case 'evidence': {
          const m = d.message as EvidenceManifest;
          return changed(
            await tx.run(
              'INSERT INTO evidence (id, device_id, event_id, ts, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
              [m.evidenceId, m.deviceId, m.eventId ?? null, m.ts, JSON.stringify(manifest ?? m)],
            ),
          );
        }
        case 'selftest': {
          const m = d.message as SelfTestReport;
          return changed(
            await tx.run(
              'INSERT INTO selftests (id, device_id, ts, received_at, ok, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
              [m.id, m.deviceId, m.ts, receivedAt, m.ok, JSON.stringify(m)],
            ),
          );
        }
        case 'ota': {
          const m = d.message as OtaStatusMessage;
          return changed(
            await tx.run(
              'INSERT INTO ota_reports (id, device_id, rollout_id, state, ts, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
              [m.id, m.deviceId, m.rollout ?? null, m.state, m.ts, JSON.stringify(m)],
            ),
          );
        }
        default:
          // Commands and desired config are what the gateway sends; hearing them back is not intake.
          return 'duplicate';
      }
    });
  }

  async deadLetter(topic: string, payload: Buffer, code: string, reason: string, receivedAt: string): Promise<void> {
    await this.sql.run('INSERT INTO dead_letters (topic, payload, code, reason, received_at) VALUES (?, ?, ?, ?, ?)', [
      topic,
      payload,
      code,
      reason,
      receivedAt,
    ]);
  }

  /** Drop refused messages received before `before`, and all but the newest `keep`; returns how many went. */
  async pruneDeadLetters(before: string, keep: number): Promise<number> {
    return this.sql.transaction(
      async (tx) =>
        (await tx.run('DELETE FROM dead_letters WHERE received_at < ?', [before])).changes +
        (
          await tx.run(
            'DELETE FROM dead_letters WHERE seq <= (SELECT seq FROM dead_letters ORDER BY seq DESC LIMIT 1 OFFSET ?)',
            [keep],
          )
        ).changes,
    );
  }

  /** How many refused messages are kept. */
  async deadLetterCount(): Promise<number> {
    return ((await this.sql.get<{ n: number }>('SELECT count(*) AS n FROM dead_letters')) as { n: number }).n;
  }
}

async function event(tx: SqlQueryable, m: EventMessage, receivedAt: string): Promise<StoreOutcome> {
  return changed(
    await tx.run(
      `INSERT INTO events (id, device_id, kind, severity, source, ts, received_at, incident_id, evidence_id, body)
       VALUES (@id, @deviceId, @kind, @severity, @source, @ts, @receivedAt, @incidentId, @evidenceId, @body) ON CONFLICT DO NOTHING`,
      {
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
      },
    ),
  );
}

async function telemetry(tx: SqlQueryable, m: TelemetryMessage): Promise<StoreOutcome> {
  const stored = await tx.run(
    'INSERT INTO telemetry (id, device_id, ts, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    [m.id, m.deviceId, m.ts, JSON.stringify(m)],
  );
  if (stored.changes === 0) return 'duplicate';
  // seq wraps at 255; a jump of more than one means telemetry was lost on the way. One statement
  // reads the last seq and writes the new one, so concurrent reports of a box count every gap once.
  await tx.run(
    `UPDATE devices SET last_telemetry = @body, flags = @flags, config_version = coalesce(@configVersion, config_version),
       last_seen = @ts, telemetry_seq = @seq,
       telemetry_gaps = telemetry_gaps + CASE WHEN telemetry_seq IS NULL OR (@seq - telemetry_seq + 256) % 256 < 1 THEN 0
         ELSE (@seq - telemetry_seq + 256) % 256 - 1 END
     WHERE id = @deviceId`,
    {
      body: JSON.stringify(m),
      flags: JSON.stringify(m.flags),
      configVersion: m.configVersion ?? null,
      ts: m.ts,
      seq: m.seq,
      deviceId: m.deviceId,
    },
  );
  return 'stored';
}
