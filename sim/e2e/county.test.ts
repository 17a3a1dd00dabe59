import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCountyMap } from '../../gateway/index.ts';
import { County, EXAMPLE_MAP, spreadOver } from '../testing/county.ts';
import { httpReceiver, type HttpReceiver } from '../testing/http-receiver.ts';
import { until } from '../testing/until.ts';
import { testPgStorage } from '../testing/sql-stores.ts';

const STORAGES = [
  { name: 'SQLite', pg: undefined },
  { name: 'PostgreSQL', pg: testPgStorage() },
];

/** The county fixture and its scripted happenings, read back only through the HTTP API, on either store. */
describe.each(STORAGES)('a simulated county (sim/testing/county.ts) on $name', ({ pg }) => {
  let county: County;
  let hook: HttpReceiver;
  let token: string;
  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`http://127.0.0.1:${county.gateway.httpPort}/api/v1${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status, path).toBe(200);
    return (await r.json()) as T;
  };
  type Alarm = { id: string; deviceId: string; caseId: string | null; responses: Record<string, string> | null };
  const alarms = () => api<{ items: Alarm[] }>('/alarms?limit=100').then((b) => b.items);

  beforeAll(async () => {
    hook = await httpReceiver();
    county = await County.start({
      boxes: 3,
      telemetryS: 1,
      gatewayConfig: {
        ...(pg && { storage: pg.storage }),
        responses: {
          channels: { hook: { type: 'webhook', url: hook.url, secret: 'county-test-secret' } },
          plans: [
            {
              kinds: ['tricycle_passengers'],
              onsite: { voice: { clip: 2 } },
              village: { channel: 'hook', ackDeadlineS: 3600 },
              police: { channel: 'hook', ackDeadlineS: 3600 },
            },
          ],
        },
      },
    });
    token = await county.gateway.services.access.tokens.issue('county-test', 'admin');
  }, 60_000);
  afterAll(async () => {
    await county?.stop();
    await hook?.close();
    await pg?.drop();
  });

  it('spreads boxes over the townships of the outline, each inside its township, the same every time', () => {
    const map = loadCountyMap(EXAMPLE_MAP);
    const a = spreadOver(map, 8);
    expect(spreadOver(map, 8)).toEqual(a);
    expect(new Set(a.map((b) => b.township))).toEqual(new Set(['梁水镇', '杜郎口镇']));
    expect(new Set(a.map((b) => b.id)).size).toBe(8);
  });

  it('a tricycle at box 1: the box warns, the gateway stores the alarm, opens its case and sends all three', async () => {
    const box = county.box(0);
    await county.tricycle(0, { riders: 4 });
    await until(
      // Village and police are sent side by side: either may be recorded first.
      async () =>
        (await alarms()).some(
          (a) => a.deviceId === box.spec.id && a.responses?.police === 'sent' && a.responses?.village === 'sent',
        ),
      10_000,
      'the alarm with its responses sent',
    );
    const alarm = (await alarms()).find((a) => a.deviceId === box.spec.id)!;
    expect(alarm.responses).toMatchObject({ village: 'sent', police: 'sent' });
    expect(hook.got.filter((g) => g.body.caseId === alarm.caseId)).toHaveLength(2);
    const device = await api<{ township: string; state: string }>(`/devices/${box.spec.id}`);
    expect(device).toMatchObject({ township: box.spec.township, state: 'online' });
  });

  it('keeps its records in the configured store', async () => {
    expect(county.gateway.context.sql.dialect.name).toBe(pg ? 'postgres' : 'sqlite');
    expect(await county.gateway.context.sql.get('SELECT count(*) AS n FROM devices')).toEqual({ n: 3 });
  });

  it("says on /health that the gateway's client is attached and no message has failed", async () => {
    const r = await fetch(`http://127.0.0.1:${county.gateway.httpPort}/health`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await r.json()) as Record<string, unknown>).gatewayClient).toEqual({
      connected: true,
      handlerFailures: 0,
    });
  });

  it('a lamp burns out at box 2: the next time it flashes the box reports it, and the gateway opens a fault ticket', async () => {
    const id = county.box(1).spec.id;
    await county.burnLamp(1, 2);
    await county.tricycle(1);
    await until(
      async () => (await api<{ items: Array<{ kind: string }> }>(`/tickets?device=${id}`)).items.length > 0,
      15_000,
      'a lamp-fault ticket',
    );
    const t = await api<{ items: Array<{ kind: string; deviceId: string }> }>(`/tickets?device=${id}`);
    expect(t.items[0]).toMatchObject({ kind: 'lamp_fault', deviceId: id });
  });

  it('the link of box 3 is cut: the gateway sees it offline; an alarm meanwhile arrives once it is back', async () => {
    const id = county.box(2).spec.id;
    county.cutLink(2);
    await until(
      async () => (await api<{ state: string }>(`/devices/${id}`)).state === 'offline',
      10_000,
      'the box offline',
    );
    await county.tricycle(2);
    await new Promise((r) => setTimeout(r, 500));
    expect((await alarms()).filter((a) => a.deviceId === id)).toHaveLength(0);
    county.restoreLink(2);
    await until(
      async () => (await alarms()).filter((a) => a.deviceId === id).length === 1,
      20_000,
      'the alarm after the link is back',
    );
    expect((await api<{ state: string }>(`/devices/${id}`)).state).toBe('online');
  });
});
