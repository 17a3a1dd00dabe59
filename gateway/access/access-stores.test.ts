import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../protocols/index.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import { DeviceStore } from '../devices/device-store.ts';
import { AccessLog } from './access-log-store.ts';
import { CredentialStore } from './credential-store.ts';
import { ScopeCheck } from './scope-query.ts';
import { Sessions } from './session-store.ts';
import { ApiTokens } from './token-store.ts';
import type { Viewer } from './viewer.ts';

const cadre: Viewer = { name: 'li', role: 'village', scope: { villages: ['李庄'] } };

describe.each(TEST_STORES)('access stores on $name', (store) => {
  afterEach(closeTestStores);

  it('keeps accounts: a box moves to its fast hash at first log-in, changes are logged, removal ends sessions', async () => {
    const sql = await store.open();
    const creds = new CredentialStore(sql, randomBytes(32));
    await creds.addDevice('box-1', 'box-1-secret');
    await creds.addOperator('li', 'li-password', 'village', { villages: ['李庄'] });
    expect(await creds.verify('box-1', 'box-1-secret')).toEqual({ kind: 'device', id: 'box-1' });
    expect(await creds.verify('box-1', 'wrong-secret')).toBeUndefined();
    expect(await creds.verify('li', 'li-password')).toEqual({
      kind: 'operator',
      id: 'li',
      role: 'village',
      scope: { villages: ['李庄'] },
    });
    expect((await creds.brokerHashes()).find((h) => h.username === 'box-1')?.hash).toMatch(/^\$7\$/);
    expect((await creds.list()).map((r) => r.username)).toEqual(['box-1', 'li']);
    // Registered by a signed file (scrypt only): the first log-in keeps the fast hash and Mosquitto's.
    await creds.putHash('box-2', 'device', 'device', await hashPassword('box-2-secret'));
    const hashOf = async () =>
      await sql.get<{ h: string; b: string | null }>(
        'SELECT password_hash AS h, broker_hash AS b FROM credentials WHERE username = ?',
        ['box-2'],
      );
    expect((await hashOf())?.b).toBeNull();
    expect(await creds.verify('box-2', 'box-2-secret')).toEqual({ kind: 'device', id: 'box-2' });
    expect((await hashOf())?.h).toMatch(/^hmac-sha256\$/);
    expect((await hashOf())?.b).toMatch(/^\$7\$/);
    creds.forget('box-2');
    expect(await creds.verify('box-2', 'box-2-secret')).toEqual({ kind: 'device', id: 'box-2' });

    const sessions = new Sessions(sql);
    const { token } = await sessions.open({ name: 'li', role: 'village', scope: { villages: ['李庄'] } });
    expect(await sessions.check(token)).toMatchObject({ name: 'li', role: 'village' });
    const before = await creds.lastChange();
    expect(await creds.remove('li')).toBe(true);
    expect(await creds.remove('li')).toBe(false);
    expect(await sessions.check(token)).toBeUndefined();
    expect(await creds.changesSince(before)).toEqual([{ seq: expect.any(Number), username: 'li', change: 'removed' }]);
    expect(await creds.lastChange()).toBeGreaterThan(before);
  });

  it('keeps API tokens by hash only, revocable, and logs who saw what', async () => {
    const sql = await store.open();
    const tokens = new ApiTokens(sql);
    const t = await tokens.issue('county-screen', 'police', { townships: ['梁水镇'] });
    expect(await tokens.check(t)).toEqual({ name: 'county-screen', role: 'police', scope: { townships: ['梁水镇'] } });
    expect(await sql.get('SELECT 1 AS x FROM api_tokens WHERE token_hash = ?', [t])).toBeUndefined();
    expect((await tokens.signer('county-screen'))?.key).toHaveLength(32);
    expect(await tokens.revoke('county-screen')).toBe(true);
    expect(await tokens.check(t)).toBeUndefined();

    const log = new AccessLog(sql);
    await log.record(cadre, 'face', 'ev-1');
    await log.record(cadre, 'plate', 'ev-2');
    expect((await log.recent(1)).map((e) => e.subject)).toEqual(['ev-2']);
  });

  it('checks scope in SQL: a village sees its boxes, their evidence and images, and nothing of another village', async () => {
    const sql = await store.open();
    const devices = new DeviceStore(sql);
    await devices.upsert({ id: 'mine', village: '李庄' });
    await devices.upsert({ id: 'theirs', village: '张庄' });
    for (const [id, box, sha] of [
      ['ev-m', 'mine', 'a'.repeat(64)],
      ['ev-t', 'theirs', 'b'.repeat(64)],
    ])
      await sql.run('INSERT INTO evidence (id, device_id, event_id, ts, body) VALUES (?, ?, NULL, ?, ?)', [
        id,
        box,
        't',
        JSON.stringify({ images: [{ sha256: sha, role: 'frame' }] }),
      ]);
    const scope = new ScopeCheck(sql);
    expect([await scope.device(cadre, 'mine'), await scope.device(cadre, 'theirs')]).toEqual([true, false]);
    expect([await scope.evidence(cadre, 'ev-m'), await scope.evidence(cadre, 'ev-t')]).toEqual([true, false]);
    expect([await scope.image(cadre, 'a'.repeat(64)), await scope.image(cadre, 'b'.repeat(64))]).toEqual([true, false]);
    expect(await scope.device({ name: 'admin', role: 'admin' }, 'theirs')).toBe(true);
  });
});
