import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createIdGenerator, encodeMessage, topics, type EventMessage } from '../../protocols/index.ts';
import { until } from '../../sim/testing/until.ts';
import { SYSTEM } from '../access/viewer.ts';
import type { GatewayConfig } from '../config/schema.ts';
import { Gateway } from '../main.ts';

const newId = createIdGenerator();

/** A port nothing listens on: every webhook attempt is refused, and retried with back-off (500 ms, then 1 s). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('stopping the gateway while notifications retry', () => {
  it('stops at once, writes nothing after the database closes, and leaves the responses pending for the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-stop-'));
    const port = await deadPort();
    const errors: string[] = [];
    const sink = new Writable({
      write: (c, _e, done) => {
        const line = JSON.parse(String(c)) as { level: number; msg: string; err?: string };
        if (line.level >= 50) errors.push(`${line.msg}: ${line.err ?? ''}`);
        done();
      },
    });
    const url = `http://127.0.0.1:${port}/hook`;
    const config: GatewayConfig = {
      responses: {
        channels: { hook: { type: 'webhook', url, secret: 'stop-test-secret', attempts: 3 } },
        plans: [
          {
            kinds: ['tricycle_passengers'],
            onsite: {},
            village: { channel: 'hook', ackDeadlineS: 3600 },
            police: { channel: 'hook', ackDeadlineS: 3600 },
          },
        ],
      },
    };
    const gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0, config, logger: pino({ level: 'info' }, sink) });
    try {
      await gw.start();
      const ev: EventMessage = {
        v: 1,
        id: newId(),
        deviceId: 'box-1',
        ts: new Date().toISOString(),
        kind: 'tricycle_passengers',
        severity: 'alarm',
        source: 'vision',
      };
      await gw.services.intake.intake.onMessage(topics.event(ev.deviceId, ev.kind), encodeMessage('event', ev));
      await until(async () => (await gw.services.responses.cases.list(SYSTEM, { limit: 1 })).length === 1, 3000);
      await new Promise((r) => setTimeout(r, 500)); // a few refused attempts, now backing off
      const t0 = performance.now();
      await gw.stop();
      expect(performance.now() - t0).toBeLessThan(2000);
      // Long enough for the last of the three attempts: it must not run against the closed database.
      await new Promise((r) => setTimeout(r, 2500));
      expect(errors).toEqual([]);

      // Plans that do not cover the case's kind: this gateway reads the states and resumes nothing.
      const readOnly: GatewayConfig = {
        responses: { ...config.responses!, plans: [{ ...config.responses!.plans[0]!, kinds: ['weather'] }] },
      };
      const again = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0, config: readOnly });
      await again.start();
      const [c] = await again.services.responses.cases.list(SYSTEM, { limit: 1 });
      const states = (await again.services.responses.cases.responses(c.id)).map((r) => `${r.kind}:${r.state}`);
      await again.stop();
      expect(states).toEqual(['onsite:done', 'village:pending', 'police:pending']);
    } finally {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
