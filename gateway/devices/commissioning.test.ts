import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, signRegistration, type DeviceRegistration } from '../../protocols/index.ts';
import { Gateway } from '../main.ts';

describe('registering boxes (roadwarden commission) and the donor wall', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-commission-'));
  let gw: Gateway;
  let base: string;
  let tech: string;
  const post = async (path: string, token: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const reg = async (
    id: string,
    password: string,
    extra: Partial<DeviceRegistration> = {},
  ): Promise<DeviceRegistration> => ({
    v: 1,
    id,
    passwordHash: await hashPassword(password),
    township: '梁水镇',
    village: '李庄',
    crossing: '李庄路口',
    lat: 36.4562,
    lon: 115.9854,
    position: { source: 'typed' },
    commissionedAt: new Date().toISOString(),
    commissionedBy: 'tech-li',
    ...extra,
  });
  const connects = (id: string, password: string) =>
    mqtt
      .connectAsync(`mqtt://127.0.0.1:${gw.mqttPort!}`, {
        clientId: id,
        username: id,
        password,
        reconnectPeriod: 0,
        connectTimeout: 3000,
      })
      .then(
        async (c) => {
          await c.endAsync();
          return true;
        },
        () => false,
      );

  beforeAll(async () => {
    gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
    base = `http://127.0.0.1:${gw.httpPort}`;
    tech = await gw.services.access.tokens.issue('tech-li', 'technician');
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a box online: its own credential works at once, a second registration of the id needs replace', async () => {
    const r = await post(
      '/api/v1/devices',
      tech,
      await reg('lc-liangshui-0001', 'first-password-1', {
        donor: { name: '聊城爱心车队', date: '2026-11-20', thanks: '感谢爱心车队捐赠' },
      }),
    );
    expect(r).toMatchObject({ status: 201, body: { id: 'lc-liangshui-0001', replaced: false } });
    expect(await connects('lc-liangshui-0001', 'first-password-1')).toBe(true);
    expect(await connects('lc-liangshui-0001', 'wrong-password-1')).toBe(false);
    expect(await gw.services.devices.registry.get('lc-liangshui-0001')).toMatchObject({
      township: '梁水镇',
      commissioned: { by: 'tech-li', registeredBy: 'tech-li', position: { source: 'typed' } },
    });

    expect((await post('/api/v1/devices', tech, await reg('lc-liangshui-0001', 'second-password'))).status).toBe(409);
    expect(
      (await post('/api/v1/devices?replace=true', tech, await reg('lc-liangshui-0001', 'second-password'))).body
        .replaced,
    ).toBe(true);
    expect(await connects('lc-liangshui-0001', 'first-password-1')).toBe(false);
    expect(await connects('lc-liangshui-0001', 'second-password')).toBe(true);
  });

  it('refuses a bad registration with the field named, and other roles', async () => {
    const bad = await post('/api/v1/devices', tech, { ...(await reg('lc-x-1', 'password-123')), lat: 123 });
    expect(bad).toMatchObject({ status: 400, body: { error: 'bad_schema' } });
    expect(bad.body.message).toContain('/lat');
    const plain = await post('/api/v1/devices', tech, {
      ...(await reg('lc-x-1', 'password-123')),
      passwordHash: 'password-123',
    });
    expect(plain.body.message).toContain('/passwordHash');
    const police = await gw.services.access.tokens.issue('duty-3', 'police');
    expect((await post('/api/v1/devices', police, await reg('lc-x-1', 'password-123'))).status).toBe(403);
  });

  it('takes only hashes of our own scrypt cost: a costlier one would stall every log-in of the box', async () => {
    const [, , , , salt, hash] = (await hashPassword('password-123')).split('$');
    for (const [n, r, p] of [
      [16384, 8, 100],
      [1048576, 8, 1],
      [1024, 8, 1],
    ]) {
      const r1 = await post('/api/v1/devices', tech, {
        ...(await reg('lc-x-cost', 'password-123')),
        passwordHash: `scrypt$${n}$${r}$${p}$${salt}$${hash}`,
      });
      expect(r1).toMatchObject({ status: 400, body: { error: 'bad_schema' } });
    }
    expect(await gw.services.devices.registry.get('lc-x-cost')).toBeUndefined();
    expect(await connects('lc-x-cost', 'password-123')).toBe(false);
  });

  it("lets a technician scoped to villages register and replace only boxes there; another village's box reads as taken", async () => {
    const admin = await gw.services.access.tokens.issue('office-admin-2', 'admin');
    expect(
      (
        await post(
          '/api/v1/devices',
          admin,
          await reg('lc-wangtun-0001', 'wangtun-password', { township: '梁水镇', village: '王屯' }),
        )
      ).status,
    ).toBe(201);
    const lizhuang = await gw.services.access.tokens.issue('tech-lizhuang', 'technician', { villages: ['李庄'] });

    // A new box elsewhere: refused, and nothing registered.
    const outside = await post(
      '/api/v1/devices',
      lizhuang,
      await reg('lc-wangtun-0002', 'attacker-password', { village: '王屯' }),
    );
    expect(outside).toMatchObject({ status: 403, body: { error: 'out_of_scope' } });
    expect(await gw.services.devices.registry.get('lc-wangtun-0002')).toBeUndefined();

    // Replacing another village's box, even by claiming it now stands in one's own village: the box keeps its credential.
    for (const village of ['王屯', '李庄']) {
      const swap = await post(
        '/api/v1/devices?replace=true',
        lizhuang,
        await reg('lc-wangtun-0001', 'attacker-password', { village }),
      );
      expect(swap.status).toBe(village === '李庄' ? 409 : 403);
    }
    expect(await connects('lc-wangtun-0001', 'wangtun-password')).toBe(true);
    expect(await connects('lc-wangtun-0001', 'attacker-password')).toBe(false);
    expect(await gw.services.devices.registry.get('lc-wangtun-0001')).toMatchObject({ village: '王屯' });

    // The same by offline files signed with the scoped token, even when the county's admin uploads them.
    for (const [id, village, status] of [
      ['lc-wangtun-0001', '李庄', 409],
      ['lc-wangtun-0001', '王屯', 403],
      ['lc-wangtun-0003', '王屯', 403],
    ] as const) {
      const signed = signRegistration(await reg(id, 'attacker-password', { village }), 'tech-lizhuang', lizhuang);
      expect((await post('/api/v1/devices/registrations?replace=true', admin, signed)).status).toBe(status);
    }
    expect(await connects('lc-wangtun-0001', 'wangtun-password')).toBe(true);
    expect(await gw.services.devices.registry.get('lc-wangtun-0003')).toBeUndefined();
    // A file signed by a role that may not commission (police) is refused whoever uploads it.
    const police = await gw.services.access.tokens.issue('duty-9', 'police');
    expect(
      (
        await post(
          '/api/v1/devices/registrations',
          admin,
          signRegistration(await reg('lc-x-2', 'password-123'), 'duty-9', police),
        )
      ).status,
    ).toBe(403);
    // Inside the scope it works, by file as online.
    expect((await post('/api/v1/devices', lizhuang, await reg('lc-liangshui-0009', 'lizhuang-password'))).status).toBe(
      201,
    );
  });

  it('takes a registration file signed offline, and refuses one changed after signing or signed by an unknown token', async () => {
    const signed = signRegistration(
      await reg('lc-liangshui-0002', 'offline-password', {
        donor: { anonymous: true, name: '张某', date: '2026-11-25' },
      }),
      'tech-li',
      tech,
    );
    const tampered = { ...signed, registration: { ...signed.registration, village: '王屯' } };
    expect(await post('/api/v1/devices/registrations', tech, tampered)).toMatchObject({
      status: 403,
      body: { error: 'bad_signature' },
    });
    const unknown = signRegistration(signed.registration, 'tech-nobody', 'rw_not-a-real-token');
    expect((await post('/api/v1/devices/registrations', tech, unknown)).body.message).toContain('does not know');
    // Uploaded later by someone else (the township office): still attributed to the signer.
    const admin = await gw.services.access.tokens.issue('office-admin', 'admin');
    expect(await post('/api/v1/devices/registrations', admin, signed)).toMatchObject({
      status: 201,
      body: { id: 'lc-liangshui-0002', signedBy: 'tech-li' },
    });
    expect((await gw.services.devices.registry.get('lc-liangshui-0002'))!.commissioned!.registeredBy).toBe(
      'office-admin (signed by tech-li)',
    );
    expect(await connects('lc-liangshui-0002', 'offline-password')).toBe(true);
  });

  it('shows crowd-funded lights on a public donor wall: name or anonymous, place, date, working or not, no amounts', async () => {
    await gw.context.sql.run("UPDATE devices SET state = 'online', flags = ? WHERE id = ?", [
      '["lamp_fault"]',
      'lc-liangshui-0001',
    ]);
    await gw.context.sql.run("UPDATE devices SET state = 'online' WHERE id = ?", ['lc-liangshui-0002']);
    const wall = (await (await fetch(`${base}/donors.json`)).json()) as Array<Record<string, unknown>>;
    expect(wall).toEqual([
      { donor: '匿名 anonymous', place: '梁水镇 李庄 李庄路口', date: '2026-11-25', thanks: null, working: true },
      {
        donor: '聊城爱心车队',
        place: '梁水镇 李庄 李庄路口',
        date: '2026-11-20',
        thanks: '感谢爱心车队捐赠',
        working: false,
      },
    ]);
    const html = await (await fetch(`${base}/donors`)).text();
    expect(html).toContain('聊城爱心车队');
    expect(html).not.toContain('张某');
    expect(html).toContain('2 盏 lights · 1 正常 working');
  });
});
