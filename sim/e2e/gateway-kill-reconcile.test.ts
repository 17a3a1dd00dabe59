import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { AlarmQuery } from '../../gateway/alarms/alarm-query.ts';
import { loadStorageKey, openSqliteStore, SYSTEM } from '../../gateway/index.ts';
import { createIdGenerator, encodeMessage, topics } from '../../protocols/index.ts';
import { tricycleAlarm } from '../testing/alarm.ts';
import { freePorts } from '../testing/free-ports.ts';
import { addDevices, gatewayArgs, spawnGateway } from '../testing/gateway-process.ts';

const newId = createIdGenerator();
const BOXES = Array.from({ length: 5 }, (_, i) => `lc-kill-${String(i + 1).padStart(4, '0')}`);

/** kill -9 while boxes publish alarms: after the restart, every stored alarm has exactly one case. */
describe('a gateway killed while alarms come in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-gwkill9-'));
  const procs: ChildProcess[] = [];
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged alarm (QoS 2) and opens the cases it did not get to at the next start: none without one, none with two', {
    timeout: 120_000,
  }, async () => {
    const ports = await freePorts(2);
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      `responses:
  channels:
    county: { type: mqtt }
  plans:
    - kinds: [tricycle_passengers]
      onsite: {}
      village: { channel: county, ackDeadlineS: 3600 }
      police: { channel: county, ackDeadlineS: 3600 }
`,
    );
    const data = join(dir, 'data');
    const args = gatewayArgs(config, ports[0]!, ports[1]!, data);
    await addDevices(
      data,
      BOXES.map((id) => ({ id, password: `${id}-pw` })),
    );

    for (let trial = 0; trial < 2; trial++) {
      const first = await spawnGateway(args);
      procs.push(first.proc);
      const boxes: MqttClient[] = await Promise.all(
        BOXES.map((id) =>
          mqtt.connectAsync(`mqtt://127.0.0.1:${ports[0]}`, {
            clientId: id,
            username: id,
            password: `${id}-pw`,
            clean: false,
            reconnectPeriod: 200,
            // The restarted gateway answers "server unavailable" until it has started: try again, as the box's link does.
            reconnectOnConnackError: true,
          }),
        ),
      );
      for (const b of boxes) b.on('error', () => {});
      const acked: Array<Promise<unknown>> = [];
      const ackedIds = new Set<string>();
      const killAt = 30 + Math.random() * 400;
      const t0 = performance.now();
      let killed = false;
      for (let i = 0; i < 300; i++) {
        const k = i % BOXES.length;
        const ev = tricycleAlarm(newId, BOXES[k]!);
        // As the box's link sends alarms: QoS 2, complete once the gateway has stored them.
        acked.push(
          boxes[k]
            .publishAsync(topics.event(ev.deviceId, ev.kind), encodeMessage('event', ev), { qos: 2 })
            .then(() => ackedIds.add(ev.id)),
        );
        if (i % 20 === 19) await new Promise((r) => setImmediate(r));
        if (!killed && performance.now() - t0 > killAt) {
          first.proc.kill('SIGKILL');
          killed = true;
        }
      }
      if (!killed) {
        await new Promise((r) => setTimeout(r, Math.max(0, t0 + killAt - performance.now())));
        first.proc.kill('SIGKILL');
      }
      const exited = (p: ChildProcess) =>
        new Promise((r) => (p.exitCode === null && p.signalCode === null ? p.once('exit', r) : r(null)));
      await exited(first.proc);
      const second = await spawnGateway(args);
      procs.push(second.proc);
      // The boxes reconnect and send again what was not acknowledged.
      await Promise.race([Promise.allSettled(acked), new Promise((r) => setTimeout(r, 15_000))]);
      await new Promise((r) => setTimeout(r, 1500));
      await Promise.all(boxes.map((b) => b.endAsync(true)));
      second.proc.kill('SIGTERM');
      await exited(second.proc);

      const db = openSqliteStore(data, loadStorageKey({}, data));
      try {
        const alarms = await new AlarmQuery(db).list(SYSTEM, { limit: 10_000 });
        expect(alarms.length, `trial ${trial}: alarms stored`).toBeGreaterThan(0);
        expect(
          alarms.filter((a) => a.caseId === null).map((a) => a.id),
          `trial ${trial}: alarms without a case`,
        ).toEqual([]);
        expect(new Set(alarms.map((a) => a.caseId)).size, `trial ${trial}: one case per alarm`).toBe(alarms.length);
        // Nothing the gateway acknowledged is lost, and every alarm was acknowledged in the end.
        const stored = new Set(alarms.map((a) => a.id));
        expect(
          [...ackedIds].filter((id) => !stored.has(id)),
          `trial ${trial}: acknowledged but not stored`,
        ).toEqual([]);
        expect(ackedIds.size, `trial ${trial}: alarms acknowledged`).toBe(300);
      } finally {
        await db.close();
      }
    }
  });
});
