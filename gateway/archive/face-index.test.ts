import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { closeTestStores, openTestStore, TEST_PG_URL, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import { seal } from '../evidence/sealed.ts';
import type { PostgresSql } from '../store/postgres-sql.ts';
import { FaceIndex } from './face-store.ts';
import { encodeEmbedding, type EvidenceManifest } from '../../protocols/index.ts';
import { Gateway } from '../main.ts';

/** A descriptor-like vector, and one at a given Euclidean distance from it (similarity falls as distance grows). */
function vector(seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: 1024 }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 0.5);
}
function moved(v: Float32Array, distance: number, seed: number): Float32Array {
  const d = vector(seed).map((x) => x - 0.25);
  const norm = Math.hypot(...d);
  return v.map((x, i) => x + (d[i] / norm) * distance);
}

function manifest(
  evidenceId: string,
  face: Float32Array,
  plate: string | null,
  capturedAt = new Date().toISOString(),
): EvidenceManifest {
  return {
    v: 1,
    id: `m-${evidenceId}`,
    deviceId: 'lc-face-1',
    ts: capturedAt,
    evidenceId,
    capturedAt,
    images: [{ role: 'frame', sha256: 'a'.repeat(64), bytes: 10, mime: 'image/jpeg', width: 10, height: 10 }],
    recognitions: [
      { what: 'vehicle', label: 'tricycle', score: 0.9, box: [0, 0, 5, 5] },
      ...(plate
        ? [
            {
              what: 'plate' as const,
              label: 'blue',
              score: 0.95,
              box: [1, 1, 2, 1] as [number, number, number, number],
              value: plate,
            },
          ]
        : []),
      { what: 'face', label: 'driver', score: 0.9, box: [2, 0, 1, 1], embedding: encodeEmbedding('faceres', face) },
    ],
    models: [],
    hash: 'b'.repeat(64),
  };
}

describe('face index: tracing a plateless vehicle by its driver’s face', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-faces-'));
  let gw: Gateway;
  const driver = vector(1);
  beforeAll(async () => {
    gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps descriptors encrypted and out of the stored manifest', async () => {
    const stored = await gw.services.archive.faces.record(manifest('EV-SEEN', driver, '鲁PAB123'));
    expect(stored.recognitions.some((r) => 'embedding' in r)).toBe(false);
    const row = (await gw.context.sql.get('SELECT model, plate, vector FROM faces WHERE evidence_id = ?', [
      'EV-SEEN',
    ])) as { model: string; plate: string; vector: Buffer };
    expect(row).toMatchObject({ model: 'faceres', plate: '鲁PAB123' });
    const plain = Buffer.from(driver.buffer);
    expect(row.vector.length).toBe(plain.length + 28);
    expect(row.vector.includes(plain.subarray(0, 32))).toBe(false);
  });

  it('finds the plate of an earlier sighting of the same driver, and not of someone else', async () => {
    await gw.services.archive.faces.record(manifest('EV-OTHER', moved(driver, 14, 7), '鲁PXY999'));
    await gw.services.archive.faces.record(manifest('EV-NOPLATE', moved(driver, 5, 3), null));
    const m = await gw.services.archive.faces.matches('EV-NOPLATE');
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ plate: '鲁PAB123', evidenceId: 'EV-SEEN', deviceId: 'lc-face-1', face: 1 });
    expect(m[0].similarity).toBeGreaterThanOrEqual(0.7);
    expect(m[0].similarity).toBeLessThan(1);
    // A lower threshold lets the other driver in, ranked below.
    expect((await gw.services.archive.faces.matches('EV-NOPLATE', { threshold: 0 })).map((x) => x.plate)).toEqual([
      '鲁PAB123',
      '鲁PXY999',
    ]);
  });

  it('answers on the case, with the archive record, for roles that may see personal data, and logs the view', async () => {
    await gw.services.archive.archive.importCsv('plate,class,owner_name,village\n鲁PAB123,tricycle,张三,李庄\n', true);
    await gw.context.sql.run(
      "INSERT INTO events (id, device_id, kind, severity, source, ts, received_at, evidence_id, body) VALUES ('E-NP', 'lc-face-1', 'tricycle_passengers', 'alarm', 'vision', 'x', 'x', 'EV-NOPLATE', '{}')",
    );
    await gw.context.sql.run(
      "INSERT INTO evidence (id, device_id, event_id, ts, body) VALUES ('EV-NOPLATE', 'lc-face-1', 'E-NP', 'x', '{}')",
    );
    await gw.context.sql.run(
      "INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at) VALUES ('C-NP', 'k-np', 'E-NP', 'lc-face-1', 'tricycle_passengers', 'x')",
    );
    const get = (token: string) =>
      fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/cases/C-NP/face-matches`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const police = await get(await gw.services.access.tokens.issue('officer-face', 'police'));
    expect(police.status).toBe(200);
    const body = (await police.json()) as {
      matches: Array<{ plate: string; vehicle: { vehicle: { ownerName: string } } | null }>;
    };
    expect(body.matches.map((x) => [x.plate, x.vehicle?.vehicle.ownerName])).toEqual([['鲁PAB123', '张三']]);
    expect((await get(await gw.services.access.tokens.issue('tech-face', 'technician'))).status).toBe(403);
    expect((await gw.services.access.accessLog.recent(5)).map((e) => `${e.actor} ${e.what} ${e.subject}`)).toContain(
      'officer-face face_match C-NP',
    );
  });

  it('forgets descriptors past retention unless an open case needs them', async () => {
    const old = new Date(Date.now() - 200 * 86_400_000).toISOString();
    await gw.services.archive.faces.record(manifest('EV-OLD', vector(9), '鲁PZZ111', old));
    await gw.services.archive.faces.record(manifest('EV-OLD-OPEN', vector(10), null, old));
    await gw.context.sql.run(
      "INSERT INTO evidence (id, device_id, event_id, ts, body) VALUES ('EV-OLD-OPEN', 'lc-face-1', 'E-OLD', 'x', '{}')",
    );
    await gw.context.sql.run(
      "INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at) VALUES ('C-OLD', 'k-old', 'E-OLD', 'lc-face-1', 'tricycle_passengers', 'x')",
    );
    expect(await gw.services.archive.faces.sweep(90)).toBe(1);
    const left = (
      (await gw.context.sql.all('SELECT evidence_id AS id FROM faces ORDER BY evidence_id')) as Array<{ id: string }>
    ).map((r) => r.id);
    expect(left).toEqual(['EV-NOPLATE', 'EV-OLD-OPEN', 'EV-OTHER', 'EV-SEEN']);
  });
});

describe.each(TEST_STORES)('face index on $name', (sqlStore) => {
  afterEach(closeTestStores);

  it('keeps descriptors sealed, matches a plateless driver to the plate seen with the same face, and sweeps old ones', async () => {
    const sql = await sqlStore.open();
    const key = randomBytes(32);
    let now = Date.parse('2026-12-01T00:00:00Z');
    const index = new FaceIndex(sql, key, () => new Date(now));
    const driver = vector(7);
    const stored = await index.record(manifest('ev-plate', driver, '鲁PA1234', new Date(now).toISOString()));
    expect(stored.recognitions.some((r) => 'embedding' in r)).toBe(false);
    await index.record(manifest('ev-stranger', moved(driver, 14, 7), '鲁PB9999', new Date(now).toISOString()));
    await index.record(manifest('ev-none', moved(driver, 5, 3), null, new Date(now).toISOString()));
    expect((await index.matches('ev-none')).map((m) => [m.plate, m.evidenceId])).toEqual([['鲁PA1234', 'ev-plate']]);
    const raw = await sql.all<{ vector: Buffer }>('SELECT vector FROM faces');
    const plain = Buffer.from(driver.buffer);
    expect(raw.some((r) => r.vector.includes(plain.subarray(0, 32)))).toBe(false);
    now += 31 * 86_400_000;
    expect(await index.sweep(30)).toBe(3);
  });
});

describe.each(TEST_STORES)('face search index shared by workers on $name', (sqlStore) => {
  afterEach(closeTestStores);
  const at = '2026-12-01T00:00:00.000Z';

  it('finds what another worker stored after it was built, and drops what another worker swept', async () => {
    const sql = await sqlStore.open();
    const key = randomBytes(32);
    const a = new FaceIndex(sql, key);
    const b = new FaceIndex(sql, key);
    const driver = vector(21);
    await a.record(manifest('ev-a-seen', driver, '鲁PA0001', at));
    await b.load();
    expect(b.indexed).toBe(1);
    await a.record(manifest('ev-a-later', moved(driver, 3, 2), '鲁PA0002', at));
    await a.record(manifest('ev-query', moved(driver, 4, 5), null, at));
    expect((await b.matches('ev-query')).map((m) => m.plate).sort()).toEqual(['鲁PA0001', '鲁PA0002']);
    expect(b.indexed).toBe(2);
    // Plateless descriptors are stored for the search from them, not searched.
    await sql.run('DELETE FROM faces WHERE evidence_id = ?', ['ev-a-seen']);
    expect((await b.matches('ev-query')).map((m) => m.plate)).toEqual(['鲁PA0002']);
    expect(b.indexed).toBe(1);
  });

  it('keeps asking for candidates while one plate’s many sightings fill them', async () => {
    const sql = await sqlStore.open();
    const index = new FaceIndex(sql, randomBytes(32));
    const driver = vector(31);
    for (let i = 0; i < 150; i++)
      await index.record(manifest(`ev-often-${i}`, moved(driver, 1 + (i % 5) * 0.1, 100 + i), '鲁PK0001', at));
    await index.record(manifest('ev-once', moved(driver, 4, 9), '鲁PK0002', at));
    await index.record(manifest('ev-ask', moved(driver, 0.5, 11), null, at));
    const m = await index.matches('ev-ask');
    expect(m.map((x) => x.plate)).toEqual(['鲁PK0001', '鲁PK0002']);
    expect(m[0].similarity).toBeGreaterThan(m[1].similarity);
  });
});

describe('face search index on postgres: a row that commits after a later one', () => {
  afterEach(closeTestStores);

  it('is found by the next search of a worker that read past its number', async () => {
    const sql = (await openTestStore('postgres')) as PostgresSql & { schema: string };
    const key = randomBytes(32);
    const writer = new FaceIndex(sql, key);
    const reader = new FaceIndex(sql, key);
    const driver = vector(41);
    await reader.load();
    // Another worker's transaction takes the next row number and stays open while a later row commits.
    const slow = new pg.Client({ connectionString: TEST_PG_URL });
    await slow.connect();
    try {
      await slow.query(`SET search_path TO ${sql.schema}`);
      await slow.query('BEGIN');
      const late = moved(driver, 2.5, 8);
      await slow.query(
        "INSERT INTO faces (evidence_id, idx, device_id, captured_at, model, plate, vector) VALUES ('ev-late', 2, 'lc-face-1', $1, 'faceres', '鲁PL0001', $2)",
        ['2026-12-01T00:00:00Z', seal(key, new Uint8Array(late.buffer))],
      );
      await writer.record(manifest('ev-fast', moved(driver, 2, 1), '鲁PF0001', '2026-12-01T00:00:00Z'));
      await writer.record(manifest('ev-q', moved(driver, 3, 4), null, '2026-12-01T00:00:00Z'));
      expect((await reader.matches('ev-q')).map((m) => m.plate)).toEqual(['鲁PF0001']);
      await slow.query('COMMIT');
      expect((await reader.matches('ev-q')).map((m) => m.plate).sort()).toEqual(['鲁PF0001', '鲁PL0001']);
    } finally {
      await slow.end();
    }
  });
});
