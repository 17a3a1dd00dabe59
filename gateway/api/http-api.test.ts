import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../access/viewer.ts';
import { Gateway } from '../main.ts';

describe('gateway HTTP API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-api-'));
  let gw: Gateway;
  let base: string;
  beforeAll(async () => {
    gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
    await gw.start();
    base = `http://127.0.0.1:${gw.httpPort}`;
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('describes every route in OpenAPI 3, with a summary and the bearer scheme on /api', async () => {
    const spec = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { summary?: string; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const described = new Map(
      Object.entries(spec.paths).flatMap(([path, ops]) =>
        Object.entries(ops).map(([m, op]) => [`${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, op] as const),
      ),
    );
    const routes = gw.services.api.table.filter((r) => !r.hide);
    expect(routes.length).toBeGreaterThan(30);
    expect([...described.keys()].sort()).toEqual(routes.map((r) => `${r.method} ${r.url}`).sort());
    for (const r of routes) {
      const op = described.get(`${r.method} ${r.url}`)!;
      expect(op.summary, r.url).toBe(r.summary);
      if (r.access !== 'public') expect(op.security, r.url).toEqual([{ bearer: [] }]);
    }
  });

  it('imports the archive from CSV: a validation report first, then a commit, admins only', async () => {
    const admin = await gw.services.access.tokens.issue('api-admin', 'admin');
    const village = await gw.services.access.tokens.issue('api-village', 'village');
    const post = (csv: string, token: string, commit = false) =>
      fetch(`${base}/api/v1/archive/import${commit ? '?commit=true' : ''}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: csv,
      });
    const bad = await post('plate,class,village\n鲁PAB123,spaceship,李庄\n', admin, true);
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ committed: false, problems: [{ line: 2 }] });
    const csv = 'plate,class,owner_name,village\n鲁PAB123,tricycle,张三,李庄\n';
    expect(await (await post(csv, admin)).json()).toMatchObject({ valid: 1, committed: false });
    expect(await gw.services.archive.archive.lookup(SYSTEM, '鲁PAB123')).toBeUndefined();
    expect(await (await post(csv, admin, true)).json()).toMatchObject({ added: 1, committed: true });
    expect((await gw.services.archive.archive.lookup(SYSTEM, '鲁PAB123'))?.vehicle.ownerName).toBe('张三');
    expect((await post(csv, village, true)).status).toBe(403);
    const json = await fetch(`${base}/api/v1/archive/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
  });

  it('lists cases newest first, paged, and only open ones on request', async () => {
    const admin = await gw.services.access.tokens.issue('api-admin-2', 'admin');
    const ids = ['01K00000000000000000000001', '01K00000000000000000000002', '01K00000000000000000000003'];
    for (const [i, id] of ids.entries())
      await gw.context.sql.run(
        'INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [id, `k${i}`, `e${i}`, 'lc-1', 'presence', 'x', i === 1 ? 'y' : null],
      );
    const get = async (q: string) =>
      (await (await fetch(`${base}/api/v1/cases${q}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
        items: Array<{ id: string }>;
        next: string | null;
      };
    const page1 = await get('?limit=2');
    expect(page1.items.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    expect((await get(`?limit=2&before=${page1.next}`)).items.map((c) => c.id)).toEqual([ids[0]]);
    expect((await get('?open=true')).items.map((c) => c.id)).toEqual([ids[2], ids[0]]);
  });
});
