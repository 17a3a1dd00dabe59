import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdGenerator, type EventMessage } from '../../protocols/index.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import type { SqlDatabase } from '../store/sql.ts';
import { CaseStore } from './case-store.ts';
import { OnsiteStore } from './onsite-store.ts';

describe.each(TEST_STORES)('on-site commands waiting for results, on $name', (store) => {
  const newId = createIdGenerator();
  let db: SqlDatabase;
  let responseId: string;
  beforeEach(async () => {
    db = await store.open();
    const cases = new CaseStore(db, newId);
    const ev: EventMessage = {
      v: 1,
      id: newId(),
      deviceId: 'box-1',
      ts: new Date().toISOString(),
      kind: 'tricycle_passengers',
      severity: 'alarm',
      source: 'vision',
    };
    const { case: c } = await cases.open(ev);
    responseId = (await cases.responses(c.id)).find((r) => r.kind === 'onsite')!.id;
  });
  afterEach(closeTestStores);

  /** As intake stores a box's command result. */
  const result = (commandId: string, deviceId: string, ok: boolean, message?: string) =>
    db.run(
      'INSERT INTO command_results (id, device_id, command_id, name, ok, code, message, ts, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        newId(),
        deviceId,
        commandId,
        'set_light',
        ok,
        ok ? null : 'no_lamp',
        message ?? null,
        new Date().toISOString(),
        '{}',
      ],
    );

  it('is answered by the stored results, whichever worker (or restart) looks', async () => {
    await new OnsiteStore(db).expect(responseId, [
      { id: 'cmd-1', deviceId: 'box-1' },
      { id: 'cmd-2', deviceId: 'box-1' },
      { id: 'cmd-3', deviceId: 'box-2' },
    ]);
    const other = new OnsiteStore(db);
    expect(await other.isTracked(responseId)).toBe(true);
    expect(await other.responseOf('cmd-3')).toBe(responseId);
    expect(await other.responseOf('unknown')).toBeUndefined();
    expect(await other.silent(responseId)).toEqual(['box-1', 'box-2']);
    await result('cmd-1', 'box-1', true);
    expect(await other.silent(responseId)).toEqual(['box-1', 'box-2']);
    await result('cmd-3', 'box-2', false, 'lamp 2 is out');
    await result('cmd-2', 'box-1', true);
    expect(await other.silent(responseId)).toEqual([]);
    expect(await other.outcome(responseId)).toEqual({ silent: [], trouble: ['box-2 set_light: lamp 2 is out'] });
    await other.forget(responseId);
    expect(await other.isTracked(responseId)).toBe(false);
    expect(await other.responseOf('cmd-2')).toBeUndefined();
  });

  it('drops the commands of an earlier try when the response is sent again', async () => {
    const s = new OnsiteStore(db);
    await s.expect(responseId, [{ id: 'old-1', deviceId: 'box-1' }]);
    await s.expect(responseId, [{ id: 'new-1', deviceId: 'box-1' }]);
    expect(await s.responseOf('old-1')).toBeUndefined();
    await result('new-1', 'box-1', true);
    expect(await s.silent(responseId)).toEqual([]);
  });
});
