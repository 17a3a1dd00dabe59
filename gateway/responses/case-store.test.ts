import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdGenerator, type EventMessage } from '../../protocols/index.ts';
import { CaseStore } from './case-store.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';

describe.each(TEST_STORES)('cases and the three responses on $name', (sqlStore) => {
  let store: CaseStore;
  const newId = createIdGenerator();
  const alarm = (extra: Partial<EventMessage> = {}): EventMessage => ({
    v: 1,
    id: newId(),
    deviceId: 'lc-box-1',
    ts: '2026-11-29T08:00:00.000+08:00',
    kind: 'tricycle_passengers',
    severity: 'alarm',
    source: 'vision',
    ...extra,
  });

  beforeEach(async () => {
    store = new CaseStore(await sqlStore.open(), newId, () => new Date('2026-11-29T00:00:00Z'));
  });
  afterEach(closeTestStores);

  it('opens one case with three pending responses, and folds a repeat of the same incident into it', async () => {
    const incidentId = newId();
    const a = await store.open(alarm({ incidentId }));
    expect(a.created).toBe(true);
    expect((await store.responses(a.case.id)).map((r) => `${r.kind}:${r.state}`)).toEqual([
      'onsite:pending',
      'village:pending',
      'police:pending',
    ]);
    const again = await store.open(alarm({ incidentId }));
    expect(again).toEqual({ case: a.case, created: false });
    const other = await store.open(alarm());
    expect(other.case.id).not.toBe(a.case.id);
  });

  it('lets one worker of many claim a pending response, until it lets go or its claim runs out', async () => {
    const { case: c } = await store.open(alarm());
    const [r] = await store.responses(c.id);
    const now = new Date('2026-11-29T00:00:00Z');
    const claims = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((w) => store.claim(r!.id, w, now, 60)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = ['w1', 'w2', 'w3', 'w4'][claims.indexOf(true)]!;
    expect(await store.claimants()).toEqual([winner]);
    expect((await store.unclaimed(now)).map((x) => x.id)).not.toContain(r!.id);
    expect(await store.claim(r!.id, 'w5', new Date(now.getTime() + 30_000), 60)).toBe(false);
    // Its claim ran out (the worker hung): another may take it.
    expect(await store.claim(r!.id, 'w5', new Date(now.getTime() + 61_000), 60)).toBe(true);
    expect(await store.releaseClaims('w5')).toBe(1);
    expect((await store.unclaimed(now)).map((x) => x.id)).toContain(r!.id);
    // Sent: no longer pending, so nobody can claim it again.
    await store.move(r!.id, 'sent', 'gateway');
    expect(await store.claim(r!.id, 'w6', now, 60)).toBe(false);
  });

  it('closes the case only when all three are done or waived, recording who and when', async () => {
    const { case: c } = await store.open(alarm());
    const [onsite, village, police] = await store.responses(c.id);
    await store.move(onsite.id, 'sent', 'gateway');
    await store.move(onsite.id, 'done', 'lc-box-1', 'lights and voice confirmed');
    await store.move(village.id, 'sent', 'gateway');
    await store.move(village.id, 'acknowledged', 'cadre-wang');
    await store.move(village.id, 'done', 'cadre-wang', '溯源劝诫: owner talked to, agreed to stop');
    expect((await store.getCase(c.id))?.closedAt).toBeNull();
    await store.move(police.id, 'waived', 'duty-officer-li', 'village handled it');
    expect(await store.getCase(c.id)).toMatchObject({
      closedAt: '2026-11-29T00:00:00.000Z',
      closedBy: 'duty-officer-li',
    });
    expect((await store.history(village.id)).map((h) => `${h.from ?? '-'}→${h.to} by ${h.actor}`)).toEqual([
      '-→pending by gateway',
      'pending→sent by gateway',
      'sent→acknowledged by cadre-wang',
      'acknowledged→done by cadre-wang',
    ]);
    expect((await store.responses(c.id)).map((r) => r.state)).toEqual(['done', 'done', 'waived']);
  });

  it('refuses a move the state machine does not allow, and says what is allowed', async () => {
    const { case: c } = await store.open(alarm());
    const [onsite] = await store.responses(c.id);
    await expect(store.move(onsite.id, 'acknowledged', 'x')).rejects.toThrow(
      /onsite response is pending; it can go to sent, failed, done, waived, not acknowledged/,
    );
    await store.move(onsite.id, 'waived', 'x');
    await expect(store.move(onsite.id, 'sent', 'x')).rejects.toThrow(/nothing \(it is finished\)/);
    await expect(store.move('nope', 'sent', 'x')).rejects.toThrow(/no response nope/);
  });

  it('holds under races: one case for an incident reported at once many times, and the last response to finish closes it', async () => {
    const incidentId = newId();
    const opened = await Promise.all(Array.from({ length: 8 }, () => store.open(alarm({ incidentId }))));
    expect(new Set(opened.map((o) => o.case.id)).size).toBe(1);
    expect(opened.filter((o) => o.created)).toHaveLength(1);
    const c = opened[0].case;
    const rs = await store.responses(c.id);
    expect(rs).toHaveLength(3);
    await Promise.all(rs.map((r) => store.move(r.id, 'waived', 'duty', 'handled by phone')));
    expect((await store.getCase(c.id))?.closedBy).toBe('duty');
    // Two moves of one response at once: one wins, the other is refused as the state machine says.
    const { case: d } = await store.open(alarm());
    const [onsite] = await store.responses(d.id);
    await store.move(onsite.id, 'sent', 'gateway');
    const both = await Promise.allSettled([store.move(onsite.id, 'done', 'a'), store.move(onsite.id, 'failed', 'b')]);
    expect(both.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await store.history(onsite.id)).map((h) => h.to)).toHaveLength(3);
  });
});
