import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** aedes-persistence's own conformance suite is written for node:test: it runs in a child node. */
describe('broker persistence: the aedes-persistence conformance suite', () => {
  // The child's own budget (120 s), not vitest's default 20 s: on a loaded 2-core CI machine the
  // suite's 50 tests, 3 s alone, took longer than that.
  it('passes every test of the suite against SqlitePersistence', { timeout: 130_000 }, async () => {
    const suite = fileURLToPath(new URL('./persistence-conformance.suite.ts', import.meta.url));
    const out = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', suite], {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      (r) => r.stdout,
      (e: { stdout?: string; message: string }) => e.stdout ?? e.message,
    );
    const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(out)?.[1] ?? Number.NaN);
    const failed = out.split('\n').filter((l) => l.startsWith('not ok'));
    expect(failed).toEqual([]);
    expect(count('fail')).toBe(0);
    // The suite of aedes-persistence 11 has 50 tests; fewer would mean it stopped early.
    expect(count('pass')).toBeGreaterThanOrEqual(50);
  });
});
