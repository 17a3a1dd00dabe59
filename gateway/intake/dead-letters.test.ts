import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../main.ts';
import { openGatewayFile } from '../../sim/testing/gateway-files.ts';
import { GATEWAY_MIGRATIONS } from '../migrations.ts';
import { applyMigrations } from '../store/migration.ts';

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

  it('repairs bodies stored before the nesting limit: the alarm list answers again, the original is a dead letter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-deep-'));
    try {
      // A database as the version before the fix left it (schema 16), holding what it let in: an
      // alarm whose data is nested 1,200 deep (2.6 KB), which SQLite's JSON functions cannot read.
      let data = '1';
      for (let i = 0; i < 1200; i++) data = `{"a":${data}}`;
      const body = `{"v":1,"id":"E-DEEP","deviceId":"box-1","ts":"2026-11-30T08:00:00.000Z","kind":"presence","severity":"alarm","source":"sensor","data":${data}}`;
      const db = openGatewayFile(dir, 'gateway.db');
      applyMigrations(
        db,
        GATEWAY_MIGRATIONS.filter((m) => m.version <= 16),
      );
      db.prepare(
        "INSERT INTO events (id, device_id, kind, severity, source, ts, received_at, evidence_id, body) VALUES ('E-DEEP', 'box-1', 'presence', 'alarm', 'sensor', '2026-11-30T08:00:00.000Z', '2026-11-30T08:00:01.000Z', 'EV-1', ?)",
      ).run(body);
      expect(() => db.prepare("SELECT json_extract(body, '$.data') FROM events").all()).toThrow(/malformed JSON/);
      db.close();

      const gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
      await gw.start();
      try {
        const token = await gw.services.access.tokens.issue('county-admin', 'admin');
        const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/alarms`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
        const list = (await res.json()) as { items: Array<{ id: string }> };
        expect(list.items.map((i) => i.id)).toEqual(['E-DEEP']);
        const repaired = (await gw.context.sql.get("SELECT body FROM events WHERE id = 'E-DEEP'")) as { body: string };
        expect(JSON.parse(repaired.body)).toMatchObject({
          id: 'E-DEEP',
          deviceId: 'box-1',
          evidenceId: 'EV-1',
          kind: 'presence',
        });
        const kept = (await gw.context.sql.all('SELECT code, payload FROM dead_letters')) as Array<{
          code: string;
          payload: Buffer;
        }>;
        expect(kept.map((k) => [k.code, k.payload.toString()])).toEqual([['bad_depth', body]]);
      } finally {
        await gw.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
