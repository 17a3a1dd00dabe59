import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../main.ts';

/**
 * Who sees what: a village cadre sees cases at their village's boxes and of their villagers'
 * vehicles wherever those were seen; a police squad sees its township; admins see the county.
 * Outside the scope a case, device or evidence is "not found" (no existence leaks).
 */
describe('village- and area-scoped API tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-scope-'));
  let gw: Gateway;
  let base: string;
  const tokens: Record<string, string> = {};
  const get = async (path: string, who: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
    return {
      status: res.status,
      body: (await res.json()) as { items?: Array<{ id: string }> } & Array<{ id: string }>,
    };
  };
  const ids = (b: { items?: Array<{ id: string }> }) => (b.items ?? []).map((x) => x.id);

  beforeAll(async () => {
    gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
    base = `http://127.0.0.1:${gw.httpPort}`;
    await gw.services.devices.registry.upsert({ id: 'box-lizhuang', township: '梁水镇', village: '李庄' });
    await gw.services.devices.registry.upsert({ id: 'box-wangtun', township: '斗虎屯镇', village: '王屯' });
    const now = new Date().toISOString();
    await gw.context.sql.run(
      "INSERT INTO vehicles (id, plate, class, village, township, created_at, updated_at) VALUES ('VH1', '鲁PAB123', 'tricycle', '李庄', '梁水镇', ?, ?)",
      [now, now],
    );
    // C1 at a 李庄 box; C2 at a 王屯 box of a 李庄 villager's tricycle; C3 at a 王屯 box, vehicle unknown.
    for (const [c, e, box, vehicle] of [
      ['C1', 'E1', 'box-lizhuang', null],
      ['C2', 'E2', 'box-wangtun', 'VH1'],
      ['C3', 'E3', 'box-wangtun', null],
    ] as const) {
      await gw.context.sql.run(
        "INSERT INTO events (id, device_id, kind, severity, source, ts, received_at, body) VALUES (?, ?, 'tricycle_passengers', 'alarm', 'vision', ?, ?, '{}')",
        [e, box, now, now],
      );
      await gw.context.sql.run(
        "INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at, vehicle_id) VALUES (?, ?, ?, ?, 'tricycle_passengers', ?, ?)",
        [c, `k-${c}`, e, box, now, vehicle],
      );
    }
    await gw.context.sql.run(
      "INSERT INTO responses (id, case_id, kind, state, updated_at) VALUES ('R3', 'C3', 'village', 'sent', ?)",
      [now],
    );
    await gw.context.sql.run(
      "INSERT INTO evidence (id, device_id, event_id, ts, body) VALUES ('EV3', 'box-wangtun', 'E3', ?, ?)",
      [now, JSON.stringify({ images: [] })],
    );
    await gw.context.sql.run("UPDATE events SET evidence_id = 'EV3' WHERE id = 'E3'");
    tokens.cadre = await gw.services.access.tokens.issue('cadre-li', 'village', { villages: ['李庄'] });
    tokens.squad = await gw.services.access.tokens.issue('squad-douhutun', 'police', { townships: ['斗虎屯镇'] });
    tokens.admin = await gw.services.access.tokens.issue('county-admin', 'admin');
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists only the cases and alarms in each user’s villages or area', async () => {
    expect(ids((await get('/api/v1/cases', 'cadre')).body)).toEqual(['C2', 'C1']);
    expect(ids((await get('/api/v1/cases', 'squad')).body)).toEqual(['C3', 'C2']);
    expect(ids((await get('/api/v1/cases', 'admin')).body)).toEqual(['C3', 'C2', 'C1']);
    expect(ids((await get('/api/v1/alarms', 'cadre')).body)).toEqual(['E2', 'E1']);
    expect(ids((await get('/api/v1/alarms', 'squad')).body)).toEqual(['E3', 'E2']);
  });

  it('answers "not found" for a case, device or response outside the scope', async () => {
    expect((await get('/api/v1/cases/C3', 'cadre')).status).toBe(404);
    expect((await get('/api/v1/cases/C2', 'cadre')).status).toBe(200);
    expect((await get('/api/v1/cases/C1', 'squad')).status).toBe(404);
    expect((await get('/api/v1/evidence/EV3', 'cadre')).status).toBe(404);
    expect((await get('/api/v1/evidence/EV3', 'squad')).status).toBe(200);
    expect(((await get('/api/v1/devices', 'cadre')).body as Array<{ id: string }>).map((d) => d.id)).toEqual([
      'box-lizhuang',
    ]);
    expect((await get('/api/v1/devices/box-wangtun', 'cadre')).status).toBe(404);
    const ack = await fetch(`${base}/api/v1/responses/R3/acknowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.cadre}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(ack.status).toBe(404);
  });
});
