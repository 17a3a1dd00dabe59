import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDir } from './make-dir.ts';

describe('makeDir', () => {
  it('makes every missing level, and is content with one that exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-mkdir-'));
    try {
      makeDir(join(dir, 'a', 'b', 'c'));
      makeDir(join(dir, 'a', 'b', 'c'));
      expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
      writeFileSync(join(dir, 'file'), '');
      expect(() => makeDir(join(dir, 'file', 'x'))).toThrow(/a part of that path is a file, not a directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a place it cannot write at once, naming it (recursive mkdirSync never returns under /proc)', () => {
    const t0 = performance.now();
    expect(() => makeDir('/proc/nope/data')).toThrow(/cannot make directory \/proc\/nope \(for \/proc\/nope\/data\)/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
