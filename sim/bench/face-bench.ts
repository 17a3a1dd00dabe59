import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import { FaceIndex, openSqliteStore, seal } from '../../gateway/index.ts';
import { encodeEmbedding, type EvidenceManifest } from '../../protocols/index.ts';
import { TEST_STORAGE_KEY } from '../testing/storage-key.ts';
import { type BenchLine, rssMb, summary, value } from './report.ts';

export interface FaceBenchOptions {
  /** Descriptors stored (each with a read plate). */
  count: number;
  /** Searches measured (recall is counted over the same ones). */
  queries: number;
  onProgress?: (m: string) => void;
}

const DIMS = 1024;
const MODEL = 'faceres';
const IDENTITIES_PER_FAMILY = 10;
/**
 * Per-value spreads, chosen so that distances match what the face model gives (face-embedding.ts):
 * two sightings of one person ≈ 5 (similarity ≈ 0.9), two people of one "family" of lookalikes
 * ≈ 8.5 (≈ 0.6, just under the match threshold), strangers ≈ 12 (≈ 0.3).
 */
const FAMILY_SPREAD = 0.187;
const IDENTITY_SPREAD = 0.152;
const SIGHTING_SPREAD = 0.11;
const BATCH = 5000;

/** A seeded normal deviate stream (xorshift32 + Box–Muller), so a descriptor can be made again from its seed. */
function normals(seed: number, n: number, spread: number, into: Float32Array): void {
  let s = seed | 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 1) / 4294967297;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next())) * spread;
    const t = 2 * Math.PI * next();
    into[i] += r * Math.cos(t);
    if (i + 1 < n) into[i + 1] += r * Math.sin(t);
  }
}

const hash = (x: number) => {
  let h = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/** One sighting of a person: family centre + the person's offset + this sighting's noise. */
function sighting(identity: number, nth: number): Float32Array {
  const v = new Float32Array(DIMS).fill(0.25);
  normals(hash(Math.floor(identity / IDENTITIES_PER_FAMILY) * 3 + 1), DIMS, FAMILY_SPREAD, v);
  normals(hash(identity * 3 + 2), DIMS, IDENTITY_SPREAD, v);
  normals(hash(identity * 7919 + nth * 104729 + 3), DIMS, SIGHTING_SPREAD, v);
  return v;
}

/** How often a person was seen: 1 to 19 times, 10 on average, so some people's nearest ten include lookalikes. */
const sightingsOf = (identity: number) => 1 + (hash(identity) % 19);

const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
/** Each person drives their own vehicle. */
const plateOf = (identity: number) =>
  `鲁P${LETTERS[identity % LETTERS.length]}${String(Math.floor(identity / LETTERS.length) % 10_000).padStart(4, '0')}`;

function queryManifest(evidenceId: string, v: Float32Array): EvidenceManifest {
  const ts = new Date().toISOString();
  return {
    v: 1,
    id: `m-${evidenceId}`,
    deviceId: 'bench-face',
    ts,
    evidenceId,
    capturedAt: ts,
    images: [],
    recognitions: [
      { what: 'face', label: 'driver', score: 0.9, box: [0, 0, 1, 1], embedding: encodeEmbedding(MODEL, v) },
    ],
    models: [],
    hash: '0'.repeat(64),
  };
}

/**
 * Face search over `count` stored descriptors (sealed in SQLite as the gateway keeps them): the
 * index built from them as at start, then searches from fresh sightings of known people, timed
 * end to end (catch-up, approximate candidates, exact re-rank on the stored descriptors), with
 * recall@10 against an exact search over every descriptor (hnswlib's brute force).
 */
export async function runFaceBench(o: FaceBenchOptions): Promise<BenchLine[]> {
  const progress = o.onProgress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'rw-face-bench-'));
  const sql = openSqliteStore(dir, TEST_STORAGE_KEY);
  const key = randomBytes(32);
  const exact = new hnswlib.BruteforceSearch('l2', DIMS);
  exact.initIndex(o.count);
  const lines: BenchLine[] = [];
  try {
    let stored = 0;
    let identity = 0;
    const people: number[] = [];
    while (stored < o.count) {
      const rows: Array<[string, string, Buffer]> = [];
      while (rows.length < BATCH && stored < o.count) {
        people.push(identity);
        for (let nth = 0; nth < sightingsOf(identity) && stored < o.count; nth++, stored++) {
          const v = sighting(identity, nth);
          exact.addPoint(Array.from(v), stored);
          rows.push([`ev-${stored}`, plateOf(identity), seal(key, new Uint8Array(v.buffer))]);
        }
        identity++;
      }
      await sql.transaction(async (tx) => {
        for (const [evidenceId, plate, vector] of rows)
          await tx.run(
            "INSERT INTO faces (evidence_id, idx, device_id, captured_at, model, plate, vector) VALUES (?, 0, 'bench-face', '2026-12-01T00:00:00Z', ?, ?, ?)",
            [evidenceId, MODEL, plate, vector],
          );
      });
      progress(`stored ${stored} of ${o.count} descriptors`);
    }

    const index = new FaceIndex(sql, key);
    const began = performance.now();
    await index.load((n) => progress(`indexed ${n}`));
    const buildS = (performance.now() - began) / 1000;
    lines.push(
      value('faces', 'index_build', 's', buildS, {
        n: index.indexed,
        per_s: Math.round(index.indexed / buildS),
        rss_mb: rssMb(),
      }),
    );

    const searchMs: number[] = [];
    const matchesMs: number[] = [];
    let found = 0;
    for (let q = 0; q < o.queries; q++) {
      const who = people[hash(q + 0x51) % people.length];
      const v = sighting(who, 1000 + q);
      const t0 = performance.now();
      const near = await index.nearest(MODEL, v, 10);
      searchMs.push(performance.now() - t0);
      const truth = new Set(exact.searchKnn(Array.from(v), 10).neighbors);
      found += near.filter((n) => truth.has(Number(n.evidenceId.slice(3)))).length;
      // As the case page asks: a stored plateless sighting, its matches one line per plate.
      await index.record(queryManifest(`q-${q}`, v));
      const t1 = performance.now();
      await index.matches(`q-${q}`);
      matchesMs.push(performance.now() - t1);
      if (q % 50 === 49) progress(`searched ${q + 1} of ${o.queries}`);
    }
    lines.push(summary('faces', 'search', 'ms', searchMs, { k: 10, descriptors: o.count }));
    lines.push(summary('faces', 'matches', 'ms', matchesMs, { descriptors: o.count }));
    lines.push(value('faces', 'recall_at_10', 'ratio', found / (10 * o.queries), { n: o.queries, rss_mb: rssMb() }));
    return lines;
  } finally {
    await sql.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
