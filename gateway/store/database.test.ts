import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';
import { TEST_STORAGE_KEY } from '../../sim/testing/storage-key.ts';

describe("the gateway's database", () => {
  it('is WAL with a sync on every commit (a stored alarm survives a power cut) and checks foreign keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-db-'));
    const db = openDatabase(dir, TEST_STORAGE_KEY);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // 2 = FULL: the WAL is synced at each commit, not only at checkpoints (NORMAL).
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
