import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdGenerator, decodePublish, encodeMessage, topics, type EventMessage } from '../../protocols/index.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import { SYSTEM } from '../access/viewer.ts';
import { IntakeStore } from '../intake/intake-store.ts';
import { CaseStore } from '../responses/case-store.ts';
import type { SqlDatabase } from '../store/sql.ts';
import { AlarmQuery } from './alarm-query.ts';

describe.each(TEST_STORES)('the alarm list and its filters on $name', (store) => {
  const newId = createIdGenerator();
  const now = new Date('2026-12-06T10:00:00Z');
  let sql: SqlDatabase;
  let cases: CaseStore;
  let alarms: AlarmQuery;

  /** An alarm stored as intake stores it, and (unless told not to) its case. */
  const alarm = async (o: { cased?: boolean } = {}) => {
    const ev: EventMessage = {
      v: 1,
      id: newId(),
      deviceId: 'lc-box-1',
      ts: now.toISOString(),
      kind: 'tricycle_passengers',
      severity: 'alarm',
      source: 'vision',
    };
    const topic = topics.event(ev.deviceId, ev.kind);
    const d = decodePublish(topic, encodeMessage('event', ev));
    if (!d.ok) throw new Error('the test alarm does not decode');
    await new IntakeStore(sql).store(d.value, now.toISOString());
    if (o.cased === false) return { ev, caseId: undefined };
    const { case: c } = await cases.open(ev);
    return { ev, caseId: c.id };
  };
  const ids = async (filter?: 'open' | 'overdue') =>
    (await alarms.list(SYSTEM, { limit: 50, filter, now })).map((a) => a.id).sort();

  beforeEach(async () => {
    sql = await store.open();
    cases = new CaseStore(sql, newId, () => now);
    alarms = new AlarmQuery(sql);
  });
  afterEach(closeTestStores);

  it('shows open cases, and of those the ones with a response past its deadline or escalated', async () => {
    const none = await alarm({ cased: false });
    const onTime = await alarm();
    const late = await alarm();
    const escalated = await alarm();
    const closed = await alarm();
    const responses = async (caseId: string) => await cases.responses(caseId);
    const [, lateVillage] = await responses(late.caseId!);
    await cases.move(lateVillage!.id, 'sent', 'gateway', undefined, new Date(now.getTime() - 60_000).toISOString());
    const [, onTimeVillage] = await responses(onTime.caseId!);
    await cases.move(onTimeVillage!.id, 'sent', 'gateway', undefined, new Date(now.getTime() + 60_000).toISOString());
    const [, , escalatedPolice] = await responses(escalated.caseId!);
    await cases.move(escalatedPolice!.id, 'sent', 'gateway');
    await cases.move(escalatedPolice!.id, 'escalated', 'gateway', 'not acknowledged in time');
    for (const r of await responses(closed.caseId!)) await cases.move(r.id, 'waived', 'duty-admin', 'duplicate');

    expect(await ids()).toEqual([none, onTime, late, escalated, closed].map((a) => a.ev.id).sort());
    expect(await ids('open')).toEqual([onTime, late, escalated].map((a) => a.ev.id).sort());
    expect(await ids('overdue')).toEqual([late, escalated].map((a) => a.ev.id).sort());
  });
});
