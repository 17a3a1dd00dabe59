import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIdGenerator,
  encodeMessage,
  topics,
  type HealthFlag,
  type SelfTestCheck,
  type TelemetryMessage,
} from '../../protocols/index.ts';
import { SYSTEM } from '../access/viewer.ts';
import { runCli } from '../../sim/testing/run-cli.ts';
import { Gateway } from '../main.ts';
import type { Ticket } from './ticket-store.ts';

const newId = createIdGenerator();
const BOX = 'lc-liangshui-0007';

function telemetry(flags: HealthFlag[], seq: number): Buffer {
  const lampFault = flags.includes('lamp_fault');
  const m: TelemetryMessage = {
    v: 1,
    id: newId(),
    deviceId: BOX,
    ts: new Date().toISOString(),
    seq,
    uptimeS: 100,
    drivers: {
      light: lampFault
        ? { state: 'degraded', error: { code: 'lamp_open_circuit', message: 'lamp open circuit on channel 2' } }
        : { state: 'ok' },
    },
    lights: [1, 2].map((channel) => ({
      channel,
      mode: 'off' as const,
      lamp: lampFault && channel === 2 ? ('open_circuit' as const) : ('ok' as const),
    })),
    flags,
  };
  return encodeMessage('telemetry', m);
}

function selftest(failures: string[] = []): Buffer {
  const checks: SelfTestCheck[] = [
    {
      device: 'light',
      check: 'channel 2 lamp lights',
      ok: !failures.includes('light'),
      message: failures.includes('light') ? 'channel 2: lamp open circuit' : 'lit and read back',
      ms: 5,
    },
    { device: 'gateway', check: 'credentials accepted', ok: true, message: 'connected', ms: 20 },
  ];
  return encodeMessage('selftest', {
    v: 1,
    id: newId(),
    deviceId: BOX,
    ts: new Date().toISOString(),
    ok: failures.length === 0,
    trigger: 'technician',
    by: 'tech-li',
    checks,
  });
}

describe('fault tickets (故障工单) and 销号', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-tickets-'));
  let gw: Gateway;
  let base: string;
  let tech: string;
  /** Hand a message to intake and let the bus's listeners (the fault watcher) finish with it. */
  const feed = async (topic: string, payload: Buffer) => {
    await gw.services.intake.intake.onMessage(topic, payload);
    await new Promise((r) => setImmediate(r));
  };
  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const close = (id: string, note: string) => api('POST', `/api/v1/tickets/${id}/close`, tech, { note });

  beforeAll(async () => {
    gw = new Gateway({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      config: { tickets: { teams: { 梁水镇: 'team-liangshui', '*': 'county-maintenance' }, offlineAfterMin: 30 } },
    });
    await gw.start();
    base = `http://127.0.0.1:${gw.httpPort}`;
    tech = await gw.services.access.tokens.issue('tech-li', 'technician');
    await gw.services.devices.registry.upsert({ id: BOX, township: '梁水镇', village: '李庄', crossing: '李庄路口' });
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens one ticket per fault for the township team, and closes it only with a note and a passing self-test after the repair', async () => {
    await feed(topics.telemetry(BOX), telemetry(['lamp_fault'], 1));
    await feed(topics.telemetry(BOX), telemetry(['lamp_fault'], 2));
    const open = (await api('GET', `/api/v1/tickets?open=true&device=${BOX}`, tech)).body.items as Ticket[];
    expect(open).toHaveLength(1);
    const t = open[0];
    expect(t).toMatchObject({
      kind: 'lamp_fault',
      township: '梁水镇',
      team: 'team-liangshui',
      seen: 2,
      detail: 'lamp open circuit on channel 2',
      clearedAt: null,
    });

    expect((await close(t.id, ' ')).body.error).toBe('note_required');
    const noTest = await close(t.id, '换了2路灯泡');
    expect(noTest).toMatchObject({ status: 409, body: { error: 'selftest_required' } });
    expect(noTest.body.message).toContain('no self-test has been received');

    await feed(topics.selftest(BOX), selftest(['light']));
    const failed = await close(t.id, '换了2路灯泡');
    expect(failed.status).toBe(409);
    expect(failed.body.message).toContain('failed: light: channel 2 lamp lights — channel 2: lamp open circuit');

    // A passing self-test, but the box reports the fault again afterwards: the repair did not hold.
    await feed(topics.selftest(BOX), selftest());
    await new Promise((r) => setTimeout(r, 5));
    await feed(topics.telemetry(BOX), telemetry(['lamp_fault'], 3));
    expect((await close(t.id, '换了2路灯泡')).body.message).toContain('is older than the fault');

    await feed(topics.telemetry(BOX), telemetry([], 4));
    expect((await gw.services.tickets.tickets.get(t.id))!.clearedAt).not.toBeNull();
    await new Promise((r) => setTimeout(r, 5));
    await feed(topics.selftest(BOX), selftest());
    const closed = await close(t.id, '换了2路灯泡，自检通过');
    expect(closed).toMatchObject({ status: 200, body: { closedBy: 'tech-li', note: '换了2路灯泡，自检通过' } });
    expect((await close(t.id, 'again')).body.error).toBe('already_closed');
    const one = (await api('GET', `/api/v1/tickets/${t.id}`, tech)).body as { selftest: { ok: boolean; by: string } };
    expect(one.selftest).toMatchObject({ ok: true, by: 'tech-li' });

    // The same fault later is a new ticket; the device record shows the self-tests.
    await feed(topics.telemetry(BOX), telemetry(['lamp_fault'], 5));
    expect(
      (await gw.services.tickets.tickets.list(SYSTEM, { deviceId: BOX, open: true })).map((x) => x.id),
    ).not.toContain(t.id);
    const dev = (await api('GET', `/api/v1/devices/${BOX}`, tech)).body as {
      selftests: Array<{ ok: boolean }>;
      openTickets: Ticket[];
    };
    expect(dev.selftests[0].ok).toBe(true);
    expect(dev.openTickets.map((x) => x.kind)).toEqual(['lamp_fault']);
  });

  it('opens an "offline" ticket for a box silent longer than offlineAfterMin, and notes when it is back', async () => {
    const id = 'lc-far-0001';
    await gw.services.devices.registry.upsert({ id, township: '斗虎屯镇' });
    await gw.context.sql.run('UPDATE devices SET state = ?, last_seen = ? WHERE id = ?', [
      'offline',
      new Date(Date.now() - 45 * 60_000).toISOString(),
      id,
    ]);
    await gw.services.tickets.faults.checkOffline();
    await gw.services.tickets.faults.checkOffline();
    const t = (await gw.services.tickets.tickets.openFor(id, 'offline'))!;
    expect(t).toMatchObject({ team: 'county-maintenance', seen: 1 });
    expect(t.detail).toMatch(/^no message from the box since /);
    await feed(
      topics.status(id),
      encodeMessage('status', {
        v: 1,
        id: newId(),
        deviceId: id,
        ts: new Date().toISOString(),
        state: 'online',
        bdSeq: 1,
      }),
    );
    expect((await gw.services.tickets.tickets.get(t.id))!.clearedAt).not.toBeNull();
    expect((await gw.services.tickets.tickets.get(t.id))!.closedAt).toBeNull();
  });

  it('sums up the day per township, for technicians and admins only', async () => {
    const s = (await api('GET', '/api/v1/tickets/summary', tech)).body as {
      day: string;
      townships: Array<{
        township: string;
        opened: number;
        closed: number;
        openAtEnd: number;
        openedByKind: Record<string, number>;
      }>;
    };
    const ls = s.townships.find((x) => x.township === '梁水镇')!;
    expect(ls).toMatchObject({ opened: 2, closed: 1, openAtEnd: 1, openedByKind: { lamp_fault: 2 } });
    expect(s.townships.find((x) => x.township === '斗虎屯镇')).toMatchObject({
      opened: 1,
      openedByKind: { offline: 1 },
    });
    expect((await api('GET', '/api/v1/tickets/summary?day=2020-01-01', tech)).body.townships).toEqual([]);
    const village = await gw.services.access.tokens.issue('cadre-wang', 'village');
    expect((await api('GET', '/api/v1/tickets', village)).status).toBe(403);
  });

  it('closes a ticket from the command line under the same rule (`gateway tickets close`)', async () => {
    const t = (await gw.services.tickets.tickets.openFor(BOX, 'lamp_fault'))!;
    const args = ['gateway', 'tickets', 'close', t.id, '--note', '换了2路灯泡', '--by', 'tech-wu', '--data-dir', dir];
    const refused = await runCli(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/closing needs a passing self-test .*is older than the fault/);
    await new Promise((r) => setTimeout(r, 5));
    await feed(topics.selftest(BOX), selftest());
    const ok = await runCli(args);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`ticket ${t.id} (${BOX}, lamp_fault) closed by tech-wu`);
    expect((await gw.services.tickets.tickets.get(t.id))?.closedBy).toBe('tech-wu');
  }, 60_000);
});
