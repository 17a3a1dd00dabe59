import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocols/index.ts';
import { loadOrCreateKey } from '../store/key-file.ts';
import { EvidenceStore } from './evidence-store.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';

const jpeg = (n: number) =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, n), Buffer.from([0xff, 0xd9])]);

describe.each(TEST_STORES)(
  'EvidenceStore on $name: content-addressed, encrypted at rest, with retention',
  (sqlStore) => {
    const dirs: string[] = [];
    afterEach(async () => {
      await closeTestStores();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });
    let clock = Date.parse('2026-11-29T00:00:00Z');
    const setup = async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rw-evidence-'));
      dirs.push(dir);
      const db = await sqlStore.open();
      const key = loadOrCreateKey(join(dir, 'evidence.key'));
      return { dir, db, key, store: new EvidenceStore(db, join(dir, 'evidence'), key, () => new Date(clock)) };
    };

    it('makes a private key once and reuses it', async () => {
      const { dir, key } = await setup();
      expect(statSync(join(dir, 'evidence.key')).mode & 0o777).toBe(0o600);
      expect(loadOrCreateKey(join(dir, 'evidence.key')).equals(key)).toBe(true);
      writeFileSync(join(dir, 'short.key'), 'c2hvcnQ=');
      expect(() => loadOrCreateKey(join(dir, 'short.key'))).toThrow(/32 bytes/);
    });

    it('stores an image once, reads back the same bytes, and catches a file altered on disk', async () => {
      const { dir, store } = await setup();
      const img = jpeg(1);
      const h = sha256Hex(img);
      expect(await store.put('lc-1', h, img)).toBe('stored');
      expect(await store.put('lc-1', h, img)).toBe('duplicate');
      expect((await store.get(h))?.equals(img)).toBe(true);
      const path = join(dir, 'evidence', h.slice(0, 2), `${h}.jpg.enc`);
      const raw = readFileSync(path);
      expect(raw.includes(img.subarray(4, 100))).toBe(false);
      raw[20] ^= 0xff;
      writeFileSync(path, raw);
      await expect(store.get(h)).rejects.toThrow();
      expect(await store.get('f'.repeat(64))).toBeUndefined();
    });

    it('deletes images past retention, except those an open case still needs', async () => {
      const { db, store } = await setup();
      const kept = jpeg(2);
      const gone = jpeg(3);
      await store.put('lc-1', sha256Hex(kept), kept);
      await store.put('lc-1', sha256Hex(gone), gone);
      await db.run('INSERT INTO evidence (id, device_id, event_id, ts, body) VALUES (?, ?, ?, ?, ?)', [
        'ev1',
        'lc-1',
        'e1',
        'x',
        JSON.stringify({ images: [{ sha256: sha256Hex(kept) }] }),
      ]);
      await db.run(
        "INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at) VALUES ('c1', 'k1', 'e1', 'lc-1', 'tricycle_passengers', 'x')",
      );
      clock += 91 * 86_400_000;
      expect(await store.sweep(90)).toBe(1);
      expect(await store.has(sha256Hex(kept))).toBe(true);
      expect(await store.has(sha256Hex(gone))).toBe(false);
      await db.run("UPDATE cases SET closed_at = 'y' WHERE id = 'c1'");
      expect(await store.sweep(90)).toBe(1);
      expect(await store.has(sha256Hex(kept))).toBe(false);
    });
  },
);
