import { seal, unseal } from '../evidence/sealed.ts';
import type { SqlDatabase } from '../store/sql.ts';
import {
  FACE_MATCH_THRESHOLD,
  decodeEmbedding,
  faceSimilarity,
  parsePlate,
  type EvidenceManifest,
} from '../../protocols/index.ts';

export interface FaceMatch {
  /** This evidence's face (its index among the manifest's recognitions). */
  face: number;
  plate: string;
  similarity: number;
  /** Where the same face was seen with that plate. */
  evidenceId: string;
  deviceId: string;
  capturedAt: string;
}

/**
 * Drivers' face descriptors from evidence, so a vehicle whose plate could not be read can still
 * be traced: its driver's face is compared with faces seen before on vehicles whose plates were
 * read. Descriptors are biometric data: they are kept only here, encrypted (AES-256-GCM under the
 * evidence key), and are removed from the stored manifest; they go with the evidence retention.
 */
export class FaceIndex {
  constructor(
    private readonly sql: SqlDatabase,
    private readonly key: Buffer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Keep the manifest's face descriptors; returns the manifest without them, for storing. */
  async record(m: EvidenceManifest): Promise<EvidenceManifest> {
    const plate = m.recognitions.find((r) => r.what === 'plate' && r.value && parsePlate(r.value).ok)?.value ?? null;
    const faces = m.recognitions.flatMap((r, idx) =>
      r.what === 'face' && r.embedding ? [{ idx, e: r.embedding }] : [],
    );
    if (faces.length)
      await this.sql.transaction(async (tx) => {
        for (const { idx, e } of faces) {
          const v = decodeEmbedding(e);
          await tx.run(
            'INSERT INTO faces (evidence_id, idx, device_id, captured_at, model, plate, vector) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
            [
              m.evidenceId,
              idx,
              m.deviceId,
              m.capturedAt,
              e.model,
              plate,
              seal(this.key, new Uint8Array(v.buffer, v.byteOffset, v.byteLength)),
            ],
          );
        }
      });
    return { ...m, recognitions: m.recognitions.map(({ embedding: _, ...r }) => r) };
  }

  /** Earlier faces with a read plate that look like this evidence's faces, best first. */
  async matches(evidenceId: string, o: { threshold?: number; limit?: number } = {}): Promise<FaceMatch[]> {
    const threshold = o.threshold ?? FACE_MATCH_THRESHOLD;
    const mine = await this.sql.all<{ idx: number; model: string; vector: Buffer }>(
      'SELECT idx, model, vector FROM faces WHERE evidence_id = ?',
      [evidenceId],
    );
    const found: FaceMatch[] = [];
    for (const f of mine) {
      const v = this.open(f.vector);
      const known = await this.sql.all<Omit<FaceMatch, 'face' | 'similarity'> & { vector: Buffer }>(
        'SELECT evidence_id AS "evidenceId", device_id AS "deviceId", captured_at AS "capturedAt", plate, vector FROM faces WHERE model = ? AND plate IS NOT NULL AND evidence_id <> ?',
        [f.model, evidenceId],
      );
      for (const k of known) {
        const similarity = faceSimilarity(v, this.open(k.vector));
        if (similarity >= threshold)
          found.push({
            face: f.idx,
            plate: k.plate,
            similarity: Math.round(similarity * 1000) / 1000,
            evidenceId: k.evidenceId,
            deviceId: k.deviceId,
            capturedAt: k.capturedAt,
          });
      }
    }
    // One line per plate, its best sighting.
    const best = new Map<string, FaceMatch>();
    for (const m of found.sort((a, b) => b.similarity - a.similarity)) if (!best.has(m.plate)) best.set(m.plate, m);
    return [...best.values()].slice(0, o.limit ?? 5);
  }

  /** Delete descriptors past retention unless an open case uses their evidence; returns how many went. */
  async sweep(retentionDays: number): Promise<number> {
    const cutoff = new Date(this.now().getTime() - retentionDays * 86_400_000).toISOString();
    return (
      await this.sql.run(
        `DELETE FROM faces WHERE captured_at < ? AND NOT EXISTS (
           SELECT 1 FROM evidence e JOIN cases c ON c.event_id = e.event_id AND c.closed_at IS NULL WHERE e.id = faces.evidence_id)`,
        [cutoff],
      )
    ).changes;
  }

  private open(body: Buffer): Float32Array {
    const plain = unseal(this.key, body);
    return new Float32Array(plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength));
  }
}
