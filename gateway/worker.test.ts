import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestStores, TEST_STORES, testPgStorage } from '../sim/testing/sql-stores.ts';
import { until } from '../sim/testing/until.ts';
import { GATEWAY_PG_SCHEMAS } from './migrations.ts';
import { PostgresSql } from './store/postgres-sql.ts';
import { Worker } from './worker.ts';

const log = pino({ level: 'silent' });

describe('gateway workers sharing one database', () => {
  const stop: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const s of stop.splice(0).reverse()) await s();
    await closeTestStores();
  });

  it('a lone gateway on SQLite always leads', async () => {
    const w = new Worker(await TEST_STORES[0]!.open(), log);
    await w.start();
    stop.push(() => w.stop());
    expect(w.isLeader).toBe(true);
    expect(await w.isGone('another')).toBe(true);
    expect(await w.isGone(w.id)).toBe(false);
  });

  it('on PostgreSQL exactly one leads; when it ends, another takes over, and sees it gone', async () => {
    const { storage, drop } = testPgStorage();
    stop.push(drop);
    // Three processes' worth of connections to the same schema.
    const dbs = await Promise.all([1, 2, 3].map(() => PostgresSql.connect(storage)));
    for (const d of dbs) stop.push(() => d.close());
    await dbs[0]!.migrate(GATEWAY_PG_SCHEMAS);
    const workers = dbs.map((d) => new Worker(d, log, 200));
    await Promise.all(workers.map((w) => w.start()));
    for (const w of workers) stop.push(() => w.stop());
    expect(workers.filter((w) => w.isLeader)).toHaveLength(1);
    // Each sees all three alive, in the same order (the report queues are shared out by it).
    await until(() => workers.every((w) => w.live.length === 3), 3000, 'every worker seen alive');
    expect(new Set(workers.map((w) => w.live.join()))).toHaveLength(1);
    const leader = workers.find((w) => w.isLeader)!;
    const others = workers.filter((w) => w !== leader);
    expect(await others[0]!.isGone(others[1]!.id)).toBe(false);
    await leader.stop();
    await until(() => others.some((w) => w.isLeader), 3000, 'a new leader');
    expect(others.filter((w) => w.isLeader)).toHaveLength(1);
    expect(await others[0]!.isGone(leader.id)).toBe(true);
    // It said goodbye: the others share the queues out between the two of them.
    await until(() => others.every((w) => w.live.length === 2), 3000, 'the stopped worker no longer alive');
  });
});
