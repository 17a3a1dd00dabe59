import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdGenerator, topics } from '../../protocols/index.ts';
import { until } from '../../sim/testing/until.ts';
import { SYSTEM } from '../access/viewer.ts';
import { Gateway } from '../main.ts';

const newId = createIdGenerator();

/** The API the dashboard stands on: log-in sessions, the alarm list, live events, reopening. */
describe('dashboard API: sessions, alarm list, live stream, reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-dash-api-'));
  let gw: Gateway;
  let base: string;
  const box = { id: 'lc-dash-1', password: 'box-pass-dash-1' };

  const login = async (username: string, password: string) => {
    const res = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return { res, cookie: res.headers.get('set-cookie')?.split(';')[0] ?? '' };
  };
  const publishAlarm = async (plate: string) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort!}`, {
      username: box.id,
      password: box.password,
      clientId: box.id,
    });
    const ev = {
      v: 1,
      id: newId(),
      deviceId: box.id,
      ts: new Date().toISOString(),
      kind: 'tricycle_passengers',
      severity: 'alarm',
      source: 'vision',
      data: { vehicle: 'tricycle', riders: 3, plate, plateScore: 0.97 },
    };
    await c.publishAsync(topics.event(box.id, 'tricycle_passengers'), JSON.stringify(ev), { qos: 1 });
    await c.endAsync();
    return ev.id;
  };

  beforeAll(async () => {
    gw = new Gateway({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      config: {
        responses: {
          channels: { bus: { type: 'mqtt' } },
          plans: [
            {
              kinds: ['tricycle_passengers'],
              onsite: { light: { mode: 'flash', durationS: 5 } },
              village: { channel: 'bus', ackDeadlineS: 3600 },
              police: { channel: 'bus', ackDeadlineS: 600 },
            },
          ],
        },
      },
    });
    await gw.start();
    await gw.services.access.credentials.addDevice(box.id, box.password);
    await gw.services.access.credentials.addOperator('officer-li', 'police-pass-1', 'police', {
      townships: ['梁水镇'],
    });
    await gw.services.access.credentials.addOperator('tech-zhao', 'tech-pass-1', 'technician');
    await gw.services.access.credentials.addOperator('cadre-far', 'cadre-pass-1', 'village', { villages: ['远村'] });
    await gw.services.devices.registry.upsert({
      id: box.id,
      township: '梁水镇',
      village: '李庄',
      crossing: '李庄路口',
    });
    base = `http://127.0.0.1:${gw.httpPort}`;
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with an operator password into an HttpOnly cookie, refuses wrong ones, and locks a name after 5 failures', async () => {
    const wrong = await login('officer-li', 'nope');
    expect(wrong.res.status).toBe(401);
    const ok = await login('officer-li', 'police-pass-1');
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers.get('set-cookie')).toMatch(
      /^rw_session=rws_[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200/,
    );
    expect(await ok.res.json()).toMatchObject({ name: 'officer-li', role: 'police', scope: { townships: ['梁水镇'] } });
    const me = await fetch(`${base}/api/v1/session`, { headers: { cookie: ok.cookie } });
    expect(await me.json()).toMatchObject({ name: 'officer-li', role: 'police' });
    // A device account is not a person: it cannot log in to the dashboard.
    expect((await login(box.id, box.password)).res.status).toBe(401);
    for (let i = 0; i < 5; i++) await login('cadre-far', 'guess');
    const locked = await login('cadre-far', 'cadre-pass-1');
    expect(locked.res.status).toBe(429);
    expect(Number(locked.res.headers.get('retry-after'))).toBeGreaterThan(0);
    // Logging out ends the session at the server, not only in the browser.
    await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie: ok.cookie } });
    expect((await fetch(`${base}/api/v1/session`, { headers: { cookie: ok.cookie } })).status).toBe(401);
  });

  it('streams alarms and response changes live to users in scope, not to others', async () => {
    const police = await login('officer-li', 'police-pass-1');
    const far = await gw.services.access.sessions.open({
      name: 'cadre-far',
      role: 'village',
      scope: { villages: ['远村'] },
    });
    const listen = async (cookie: string) => {
      const got: string[] = [];
      const ctl = new AbortController();
      const res = await fetch(`${base}/api/v1/stream`, { headers: { cookie }, signal: ctl.signal });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      void (async () => {
        const dec = new TextDecoder();
        try {
          for await (const chunk of res.body!)
            got.push(...[...dec.decode(chunk).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]));
        } catch {
          // aborted
        }
      })();
      return { got, stop: () => ctl.abort() };
    };
    const mine = await listen(police.cookie);
    const other = await listen(`rw_session=${far.token}`);
    await until(() => mine.got.includes('hello') && other.got.includes('hello'), 5000, 'both streams open');
    await publishAlarm('鲁PAB123');
    await until(
      () => mine.got.includes('alarm') && mine.got.includes('case') && mine.got.includes('response'),
      5000,
      'alarm, case and response events',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(other.got).toEqual(['hello']);
    mine.stop();
    other.stop();
  });

  it('lists alarms with place, plate, the three responses and the photo; masks the plate for a technician; logs who saw it', async () => {
    const police = await login('officer-li', 'police-pass-1');
    const tech = await login('tech-zhao', 'tech-pass-1');
    const list = async (cookie: string) =>
      (
        (await (await fetch(`${base}/api/v1/alarms?limit=10`, { headers: { cookie } })).json()) as {
          items: Array<Record<string, unknown>>;
        }
      ).items;
    const [a] = await list(police.cookie);
    expect(a).toMatchObject({
      deviceId: box.id,
      kind: 'tricycle_passengers',
      place: { township: '梁水镇', village: '李庄', crossing: '李庄路口' },
      plate: { text: '鲁PAB123', masked: false, score: 0.97 },
      vehicle: 'tricycle',
      riders: 3,
    });
    expect(Object.keys(a.responses as object).sort()).toEqual(['onsite', 'police', 'village']);
    const [t] = await list(tech.cookie);
    expect(t.plate).toMatchObject({ text: '鲁P***23', masked: true });
    expect(
      (await gw.services.access.accessLog.recent(10)).some((e) => e.actor === 'officer-li' && e.what === 'alarm_list'),
    ).toBe(true);
    expect((await gw.services.access.accessLog.recent(10)).some((e) => e.actor === 'tech-zhao')).toBe(false);
  });

  it('reopens a finished response with a reason, and the case with it', async () => {
    const [c] = await gw.services.responses.cases.list(SYSTEM, { limit: 1 });
    const police = (await gw.services.responses.cases.responses(c.id)).find((r) => r.kind === 'police')!;
    const admin = await gw.services.access.tokens.issue('dash-admin', 'admin');
    const post = (verb: string, body: object) =>
      fetch(`${base}/api/v1/responses/${police.id}/${verb}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('reopen', { reason: 'x' })).status).toBe(409);
    expect((await post('waive', { reason: 'no squad on duty' })).status).toBe(200);
    expect((await post('reopen', {})).status).toBe(400);
    const back = await post('reopen', { reason: 'a squad is free after all' });
    expect(await back.json()).toMatchObject({ state: 'acknowledged', note: 'reopened: a squad is free after all' });
    expect((await gw.services.responses.cases.history(police.id)).map((h) => h.to).slice(-2)).toEqual([
      'waived',
      'acknowledged',
    ]);
  });

  it('reports cases per week and place, repeat offenders masked unless asked in full, and both as CSV for spreadsheets', async () => {
    await publishAlarm('鲁PAB123');
    await until(
      async () => (await gw.services.responses.cases.list(SYSTEM, { limit: 5 })).length === 2,
      5000,
      'the second case',
    );
    const admin = await gw.services.access.tokens.issue('dash-admin-2', 'admin');
    const tech = await gw.services.access.tokens.issue('dash-tech', 'technician');
    const get = (path: string, token: string) =>
      fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    const week = (await (await get('/reports/weekly', admin)).json()) as Array<Record<string, unknown>>;
    expect(week).toEqual([
      {
        week: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        township: '梁水镇',
        village: '李庄',
        kind: 'tricycle_passengers',
        cases: 2,
      },
    ]);
    expect(new Date(`${week[0].week as string}T00:00:00Z`).getUTCDay()).toBe(1);
    const masked = (await (await get('/reports/repeat-offenders', admin)).json()) as Array<Record<string, unknown>>;
    expect(masked).toEqual([expect.objectContaining({ plate: '鲁P***23', masked: true, cases: 2, seenAt: ['李庄'] })]);
    const full = (await (await get('/reports/repeat-offenders?full=true', admin)).json()) as Array<
      Record<string, unknown>
    >;
    expect(full[0]).toMatchObject({ plate: '鲁PAB123', masked: false });
    expect(
      ((await (await get('/reports/repeat-offenders?full=true', tech)).json()) as Array<Record<string, unknown>>)[0],
    ).toMatchObject({ plate: '鲁P***23' });
    expect((await gw.services.access.accessLog.recent(5)).map((e) => `${e.actor} ${e.what}`)).toContain(
      'dash-admin-2 repeat_offenders',
    );
    const csv = await get('/reports/weekly.csv', admin);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.startsWith('week,township,village,kind,cases\r\n')).toBe(true);
    expect(text).toContain(',梁水镇,李庄,tricycle_passengers,2\r\n');
  });

  it('counts a case in the week of the county’s Monday, not UTC’s (China Standard Time by default)', async () => {
    // Monday 02:00 in Beijing is still Sunday 18:00 in UTC.
    const monday = new Date();
    monday.setUTCHours(0, 0, 0, 0);
    monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7) - 7);
    const opened = new Date(monday.getTime() - 6 * 3_600_000).toISOString();
    await gw.services.devices.registry.upsert({ id: 'lc-dash-tz', township: '梁水镇', village: '赵楼' });
    await gw.context.sql.run(
      "INSERT INTO events (id, device_id, kind, severity, source, ts, received_at, body) VALUES ('E-TZ', 'lc-dash-tz', 'tricycle_passengers', 'alarm', 'vision', ?, ?, '{}')",
      [opened, opened],
    );
    await gw.context.sql.run(
      "INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at) VALUES ('C-TZ', 'k-tz', 'E-TZ', 'lc-dash-tz', 'tricycle_passengers', ?)",
      [opened],
    );
    const admin = await gw.services.access.tokens.issue('dash-admin-tz', 'admin');
    const rows = (await (
      await fetch(`${base}/api/v1/reports/weekly?weeks=4`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as Array<{ village: string; week: string }>;
    expect(rows.find((r) => r.village === '赵楼')?.week).toBe(monday.toISOString().slice(0, 10));
  });

  it('searches the archive by plate, owner or village; a village cadre only among their villagers', async () => {
    await gw.services.archive.archive.importCsv(
      'plate,class,owner_name,village\n鲁PAB123,tricycle,张三,李庄\n鲁PXY999,tricycle,李四,远村\n鲁PXY998,minivan,王五,李庄\n',
      true,
    );
    const admin = await gw.services.access.tokens.issue('dash-admin-3', 'admin');
    const cadre = await gw.services.access.tokens.issue('dash-cadre', 'village', { villages: ['远村'] });
    const search = async (q: string, token: string) =>
      (
        (await (
          await fetch(`${base}/api/v1/archive/vehicles?q=${encodeURIComponent(q)}`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).json()) as Array<{ plate: string }>
      ).map((v) => v.plate);
    expect(await search('鲁pxy', admin)).toEqual(['鲁PXY998', '鲁PXY999']);
    expect(await search('张三', admin)).toEqual(['鲁PAB123']);
    expect(await search('李庄', admin)).toEqual(['鲁PAB123', '鲁PXY998']);
    expect(await search('%', admin)).toEqual([]);
    expect(await search('鲁P', cadre)).toEqual(['鲁PXY999']);
    expect(
      (await gw.services.access.accessLog.recent(10)).some((e) => e.what === 'archive_search' && e.subject === '张三'),
    ).toBe(true);
  });
});
