import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CredentialStore,
  Gateway,
  loadGatewayConfig,
  loadStorageKey,
  openSqliteStore,
  SYSTEM,
} from '../../gateway/index.ts';
import { createIdGenerator, encodeMessage, hashPassword, topics } from '../../protocols/index.ts';
import { tricycleAlarm } from '../testing/alarm.ts';
import { freePorts } from '../testing/free-ports.ts';
import { runCli } from '../testing/run-cli.ts';
import { until } from '../testing/until.ts';

const newId = createIdGenerator();
const MQTT_PASSWORD = 'gateway-secret-on-mosquitto';

const alarm = (deviceId: string) => tricycleAlarm(newId, deviceId);

/**
 * The county on an external Mosquitto, configured by `gateway broker-config`: the boxes' own
 * passwords and topic rights, and alarms queued for a stopped gateway that outlive a kill -9 of
 * Mosquitto itself (with Mosquitto's default half-hour autosave they were lost).
 */
describe('gateway broker-config: a Mosquitto for the county', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('lets each box in with its own password and tree only, and keeps queued alarms over a broker crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-mosqconf-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [port] = await freePorts(1);
    const yaml = join(dir, 'gateway.yaml');
    writeFileSync(
      yaml,
      `dataDir: ./data
broker:
  url: mqtt://127.0.0.1:${port}
  username: roadwarden-gateway
  password: \${MQTT_PASSWORD}
http:
  port: 0
`,
    );
    process.env.MQTT_PASSWORD = MQTT_PASSWORD;
    cleanups.push(() => void delete process.env.MQTT_PASSWORD);
    const data = join(dir, 'data');
    const db = openSqliteStore(data, loadStorageKey({}, data));
    const creds = new CredentialStore(db);
    for (const id of ['box-m1', 'box-m2']) await creds.addDevice(id, `${id}-secret`);
    // Registered by a signed file (scrypt only): the gateway never saw this one's password.
    await creds.putHash('box-m3', 'device', 'device', await hashPassword('box-m3-secret'));
    await db.close();

    const out = join(dir, 'mosquitto');
    const made = await runCli(
      [
        'gateway',
        'broker-config',
        '--config',
        yaml,
        '--out',
        out,
        '--listen',
        `127.0.0.1:${port}`,
        '--user',
        userInfo().username,
      ],
      { env: { MQTT_PASSWORD } },
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/2 boxes and the gateway's account roadwarden-gateway/);
    expect(made.stdout).toMatch(/left out.*box-m3/);

    let broker: ChildProcess | undefined;
    const startBroker = async () => {
      broker = spawn('mosquitto', ['-c', join(out, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      broker.stderr!.on('data', (d: Buffer) => (err += d));
      await until(
        () =>
          mqtt
            .connectAsync(`mqtt://127.0.0.1:${port}`, {
              username: 'box-m1',
              password: 'box-m1-secret',
              reconnectPeriod: 0,
              clientId: `probe-${newId()}`,
            })
            .then(
              (c) => c.endAsync().then(() => true),
              () => false,
            ),
        10_000,
        `mosquitto listening (${err})`,
      );
    };
    cleanups.push(() => void broker?.kill('SIGKILL'));
    await startBroker();

    const connect = (id: string, password: string) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        clientId: id,
        username: id,
        password,
        protocolVersion: 4,
        reconnectPeriod: 0,
        clean: false,
      });
    await expect(connect('box-m1', 'wrong')).rejects.toThrow(/Not authorized|Bad username/i);
    await expect(connect('box-m3', 'box-m3-secret')).rejects.toThrow(/Not authorized|Bad username/i);

    const config = loadGatewayConfig(yaml);
    const first = new Gateway({ config });
    await first.start();
    const box: MqttClient = await connect('box-m1', 'box-m1-secret');
    cleanups.push(() => box.endAsync(true));
    await box.publishAsync(topics.event('box-m1', 'tricycle_passengers'), encodeMessage('event', alarm('box-m1')), {
      qos: 1,
    });
    // Box 1 may not speak for box 2: Mosquitto drops it (MQTT 3.1.1 has no way to say so).
    await box.publishAsync(topics.event('box-m2', 'tricycle_passengers'), encodeMessage('event', alarm('box-m2')), {
      qos: 1,
    });
    await until(
      async () => (await first.services.alarms.query.list(SYSTEM, { limit: 10 })).length >= 1,
      10_000,
      'the first alarm',
    );
    await first.stop();

    // The gateway is down: 50 alarms wait in its session at Mosquitto, which then crashes.
    const queued: string[] = [];
    for (let i = 0; i < 50; i++) {
      const ev = alarm('box-m1');
      queued.push(ev.id);
      await box.publishAsync(topics.event('box-m1', ev.kind), encodeMessage('event', ev), { qos: 1 });
    }
    await box.endAsync(true);
    // Mosquitto saves after it acknowledged, on its next loop turn: killed within a few ms of the
    // last PUBACK it lost that message (7 of 20 runs under load; the embedded broker writes before
    // acknowledging). A crash a moment later loses nothing.
    await new Promise((r) => setTimeout(r, 300));
    broker!.kill('SIGKILL');
    await new Promise((r) => broker!.once('exit', r));
    await startBroker();

    const second = new Gateway({ config });
    await second.start();
    cleanups.push(() => second.stop());
    await until(
      async () => (await second.services.alarms.query.list(SYSTEM, { limit: 100 })).length >= 51,
      15_000,
      'the 50 queued alarms',
    );
    const stored = await second.services.alarms.query.list(SYSTEM, { limit: 100 });
    expect(stored.map((a) => a.id)).toEqual(expect.arrayContaining(queued));
    expect(stored.every((a) => a.deviceId === 'box-m1')).toBe(true);
    expect(stored).toHaveLength(51);
  });
});
