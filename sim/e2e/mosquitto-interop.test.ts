import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink, Outbox } from '../../edge/index.ts';
import { Gateway, SYSTEM } from '../../gateway/index.ts';
import { createIdGenerator, decodeMessage, encodeMessage, topics, type EventMessage } from '../../protocols/index.ts';
import { until } from '../testing/until.ts';

// The machine's Mosquitto (MQTT 5), which .ci/run starts when it is not running.
const MOSQUITTO = { host: '127.0.0.1', port: 1883 };
const newId = createIdGenerator();

describe('edge link against Mosquitto over MQTT 5, read by mosquitto_sub', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('delivers queued events that mosquitto_sub (a client nobody here wrote) reads and our decoder accepts', async () => {
    const device = `interop-${newId().toLowerCase()}`;
    const dir = mkdtempSync(join(tmpdir(), 'rw-mosq-'));
    const box = new Outbox({ path: join(dir, 'outbox.db') });
    cleanups.push(() => {
      box.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const sub = spawn(
      'mosquitto_sub',
      [
        '-h',
        MOSQUITTO.host,
        '-p',
        String(MOSQUITTO.port),
        '-V',
        'mqttv5',
        '-q',
        '1',
        '-t',
        `rw/v1/${device}/event/+`,
        '-C',
        '10',
        '-W',
        '20',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    let buf = '';
    sub.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
    cleanups.push(() => {
      sub.kill();
    });
    await new Promise((r) => setTimeout(r, 500)); // let mosquitto_sub subscribe

    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const ev: EventMessage = {
        v: 1,
        id: newId(),
        deviceId: device,
        ts: new Date().toISOString(),
        kind: 'presence',
        severity: 'info',
        source: 'sensor',
        data: { i },
      };
      sent.push(ev.id);
      box.append({
        id: ev.id,
        topic: topics.event(device, 'presence'),
        payload: encodeMessage('event', ev),
        cls: 'event',
      });
    }
    const link = new MqttLink({
      url: `mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`,
      deviceId: device,
      protocolVersion: 5,
      outbox: box,
      newId,
      bdSeq: 0,
    });
    cleanups.push(() => link.stop());
    link.start();
    await until(() => lines.length >= 10, 15_000, 'mosquitto_sub to print 10 events');
    const got = lines.map((l) => decodeMessage('event', l));
    expect(got.every((g) => g.ok)).toBe(true);
    expect(got.map((g) => (g.ok ? g.value.id : ''))).toEqual(sent);
    await until(() => box.stats().pending === 0, 5000);
  });

  it('runs the gateway against Mosquitto as an external broker: intake stores the alarm, on-site commands reach the box', async () => {
    const device = `ext-${newId().toLowerCase()}`;
    const dir = mkdtempSync(join(tmpdir(), 'rw-ext-'));
    const gw = new Gateway({
      dataDir: join(dir, 'gw'),
      httpPort: 0,
      config: {
        broker: { url: `mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`, clientId: `rw-gw-${newId().toLowerCase()}` },
        responses: {
          channels: {},
          plans: [
            {
              kinds: ['tricycle_passengers'],
              onsite: { voice: { clip: 3 } },
              village: { channel: 'none', ackDeadlineS: 60 },
              police: { channel: 'none', ackDeadlineS: 60 },
            },
          ],
        },
      },
    });
    const box = new Outbox({ path: join(dir, 'outbox.db') });
    const link = new MqttLink({
      url: `mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`,
      deviceId: device,
      protocolVersion: 5,
      outbox: box,
      newId,
      bdSeq: 0,
    });
    const commands: string[] = [];
    link.on('command', (name: string) => commands.push(name));
    cleanups.push(async () => {
      await link.stop();
      await gw.stop();
      box.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await gw.start();
    expect(gw.services.broker.embedded).toBeUndefined();
    link.start();
    await until(() => link.connected, 5000);
    const ev: EventMessage = {
      v: 1,
      id: newId(),
      deviceId: device,
      ts: new Date().toISOString(),
      kind: 'tricycle_passengers',
      severity: 'alarm',
      source: 'vision',
    };
    box.append({ id: ev.id, topic: topics.event(device, ev.kind), payload: encodeMessage('event', ev), cls: 'alarm' });
    link.kick();
    const alarms = async () =>
      (await gw.services.alarms.query.list(SYSTEM, { limit: 10 })).filter((a) => a.deviceId === device);
    await until(async () => (await alarms()).length === 1, 5000, 'event stored');
    await until(async () => (await alarms())[0].caseId !== null, 5000, 'case opened');
    await until(() => commands.includes('play_clip'), 5000, 'on-site command delivered through Mosquitto');
  });
});
