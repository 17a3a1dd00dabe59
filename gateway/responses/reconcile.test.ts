import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator, encodeMessage, topics, type EventMessage } from '../../protocols/index.ts';
import { SYSTEM } from '../access/viewer.ts';
import { Gateway } from '../main.ts';
import type { ResponsesConfig } from './response-plan.ts';

const newId = createIdGenerator();
const RESPONSES: ResponsesConfig = {
  channels: { log: { type: 'mqtt' } },
  plans: [
    {
      kinds: ['tricycle_passengers'],
      onsite: {},
      village: { channel: 'log', ackDeadlineS: 3600 },
      police: { channel: 'log', ackDeadlineS: 3600 },
    },
  ],
};

const alarm = (deviceId: string, at: Date, incidentId?: string): EventMessage => ({
  v: 1,
  id: newId(),
  deviceId,
  ts: at.toISOString(),
  kind: 'tricycle_passengers',
  severity: 'alarm',
  source: 'vision',
  ...(incidentId ? { incidentId } : {}),
  data: { riders: 3 },
});

/** A gateway that stored alarms but stopped before their cases: the next start opens them. */
describe('reconciliation at start', () => {
  const dirs: string[] = [];
  const gateways: Gateway[] = [];
  afterEach(async () => {
    for (const g of gateways.splice(0)) await g.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const start = async (dataDir: string, o: { responses?: boolean; clock?: () => Date } = {}) => {
    const gw = new Gateway({
      dataDir,
      mqttPort: 0,
      httpPort: 0,
      clock: o.clock,
      // Without `responses` a gateway whose plans cover no tricycle: it stores alarms and opens no case.
      config: {
        responses: o.responses ? RESPONSES : { ...RESPONSES, plans: [{ ...RESPONSES.plans[0]!, kinds: ['weather'] }] },
      },
    });
    await gw.start();
    gateways.push(gw);
    await gw.services.responses.reconciled;
    return gw;
  };
  const store = (gw: Gateway, ev: EventMessage) =>
    gw.services.intake.intake.onMessage(topics.event(ev.deviceId, ev.kind), encodeMessage('event', ev));

  it('opens a case for each recent stored alarm that has none, once per incident, and leaves old ones counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-reconcile-'));
    dirs.push(dir);
    // Stored, no case: this gateway's plans do not cover the kind (as one stopped before the engine ran).
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    const old = await start(dir, { clock: () => twoDaysAgo });
    await store(old, alarm('box-old', twoDaysAgo));
    await old.stop();
    gateways.pop();
    const first = await start(dir);
    const now = new Date();
    const incident = newId();
    const recent = [alarm('box-1', now), alarm('box-2', now, incident), alarm('box-2', now, incident)];
    for (const ev of recent) await store(first, ev);
    await first.stop();
    gateways.pop();

    const gw = await start(dir, { responses: true });
    const cases = await gw.services.responses.cases.list(SYSTEM, { limit: 10 });
    // box-1's alarm and box-2's incident (two frames, one case); not the two-day-old one.
    expect(cases.map((c) => c.deviceId).sort()).toEqual(['box-1', 'box-2']);
    for (const c of cases)
      expect((await gw.services.responses.cases.responses(c.id)).map((r) => r.kind)).toHaveLength(3);
    expect(await gw.services.responses.engine!.reconcile()).toEqual({ opened: 0, tooOld: 1 });
  });

  it('opens nothing twice across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-reconcile-'));
    dirs.push(dir);
    const first = await start(dir);
    await store(first, alarm('box-1', new Date()));
    await first.stop();
    gateways.pop();
    for (let i = 0; i < 2; i++) {
      const gw = await start(dir, { responses: true });
      expect(await gw.services.responses.cases.list(SYSTEM, { limit: 10 })).toHaveLength(1);
      await gw.stop();
      gateways.pop();
    }
  });
});
