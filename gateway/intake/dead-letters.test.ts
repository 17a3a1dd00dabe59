import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../main.ts';

/** Refused messages are kept for a technician to look at, but not for ever (a box sending junk must not fill the disk). */
describe('dead letters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-dead-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const junk = (gw: Gateway, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        gw.services.intake.intake.onMessage('rw/v1/box-1/event/presence', Buffer.from(`not json ${i}`)),
      ),
    );

  it('prunes those older than keepDays, and keeps at most keepMax, the newest', async () => {
    const old = new Gateway({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      clock: () => new Date(Date.now() - 3 * 86_400_000),
    });
    await old.start();
    await junk(old, 3);
    await old.stop();

    const gw = new Gateway({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      config: { deadLetters: { keepDays: 2, keepMax: 100 } },
    });
    await gw.start();
    try {
      const { intake, store, prune } = gw.services.intake;
      await junk(gw, 2);
      expect(await store.deadLetterCount()).toBe(5);
      expect(await prune()).toBe(3);
      expect(await store.deadLetterCount()).toBe(2);
      await junk(gw, 150);
      expect(intake.stats.deadLetters).toBe(152);
      expect(await prune()).toBe(52);
      expect(await store.deadLetterCount()).toBe(100);
      expect(await prune()).toBe(0);
    } finally {
      await gw.stop();
    }
  });
});
