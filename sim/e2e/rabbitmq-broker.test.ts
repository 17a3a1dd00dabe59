import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, type GatewayConfig, SYSTEM } from '../../gateway/index.ts';
import { createIdGenerator, encodeMessage, topics } from '../../protocols/index.ts';
import { RabbitCluster, skipWithoutRabbitmq } from '../cluster/rabbitmq-cluster.ts';
import { tricycleAlarm } from '../testing/alarm.ts';
import { freePorts } from '../testing/free-ports.ts';
import { until } from '../testing/until.ts';

const run = promisify(execFile);
const newId = createIdGenerator();
const BOXES = ['box-r1', 'box-r2', 'box-r3'];
const secret = (id: string) => `${id}-secret`;

/**
 * The county on a RabbitMQ node of its own: boxes on its MQTT adapter with their own accounts,
 * checked by the gateway's HTTP auth backend; the gateway consuming its quorum report queues.
 */
describe.skipIf(skipWithoutRabbitmq('RabbitMQ as the county broker'))('RabbitMQ as the county broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-rabbit-'));
  let cluster: RabbitCluster;
  let gw: Gateway;
  let config: GatewayConfig;
  const clients: MqttClient[] = [];

  const startGateway = async () => {
    gw = new Gateway({ config, dataDir: join(dir, 'gw') });
    await gw.start();
  };

  beforeAll(async () => {
    const [authPort] = await freePorts(1);
    cluster = await RabbitCluster.create({ dir: join(dir, 'rabbit'), authUrl: `http://127.0.0.1:${authPort}` });
    const node = cluster.nodes[0]!;
    config = {
      broker: {
        type: 'rabbitmq',
        rabbitmq: { nodes: [`127.0.0.1:${node.amqpPort}`], partitions: 2, auth: { port: authPort } },
      },
      http: { port: 0 },
      responses: {
        channels: { county: { type: 'mqtt' } },
        plans: [
          {
            kinds: ['tricycle_passengers'],
            onsite: {},
            village: { channel: 'county', ackDeadlineS: 3600 },
            police: { channel: 'county', ackDeadlineS: 3600 },
          },
        ],
      },
    };
    await Promise.all([cluster.start(), startGateway()]);
    for (const id of BOXES) await gw.services.access.credentials.addDevice(id, secret(id));
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await gw?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (username: string, password: string, clientId = username): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(cluster.nodes[0]!.mqttUrl, {
      clientId,
      username,
      password,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 0,
    });
    clients.push(c);
    return c;
  };
  const alarmsOf = async (deviceId: string) =>
    (await gw.services.alarms.query.list(SYSTEM, { limit: 500 })).filter((a) => a.deviceId === deviceId);
  const publishAlarm = (c: MqttClient, deviceId: string) =>
    c.publishAsync(
      topics.event(deviceId, 'tricycle_passengers'),
      encodeMessage('event', tricycleAlarm(newId, deviceId)),
      {
        qos: 1,
      },
    );

  it('lets a box in with its own password and client id only', async () => {
    await expect(connect('box-r1', 'wrong')).rejects.toThrow(/Not authorized|Bad username/i);
    await expect(connect('box-r1', secret('box-r1'), 'box-r2')).rejects.toThrow(
      /Not authorized|Bad username|Identifier/i,
    );
    await expect(connect('nobody', 'x')).rejects.toThrow(/Not authorized|Bad username/i);
    const box = await connect('box-r1', secret('box-r1'));
    expect(box.connected).toBe(true);
  });

  it('stores a box’s alarm, opens its case, and sends commands back to that box', async () => {
    const box = await connect('box-r1', secret('box-r1'), 'box-r1:a');
    const got: string[] = [];
    box.on('message', (t) => got.push(t));
    const sub = await box.subscribeAsync(`rw/v1/box-r1/cmd/+`, { qos: 1 });
    expect(sub[0]!.qos).toBe(1);
    await publishAlarm(box, 'box-r1');
    await until(async () => !!(await alarmsOf('box-r1'))[0]?.caseId, 15_000, 'the alarm stored and cased');
    await gw.services.devices.commands.send('box-r1', 'set_light', { mode: 'flash', durationS: 5 });
    await until(() => got.includes('rw/v1/box-r1/cmd/set_light'), 10_000, 'the command at the box');
  });

  it('refuses a box speaking for another box or reading its commands', async () => {
    // RabbitMQ answers a refused subscription by closing the connection.
    const reader = await connect('box-r2', secret('box-r2'), 'box-r2:reader');
    await expect(reader.subscribeAsync('rw/v1/box-r3/cmd/+', { qos: 1 })).rejects.toThrow();
    const box = await connect('box-r2', secret('box-r2'));
    const closed = new Promise<void>((r) => box.once('close', () => r()));
    box.publish(topics.event('box-r3', 'tricycle_passengers'), encodeMessage('event', tricycleAlarm(newId, 'box-r3')), {
      qos: 1,
    });
    await closed;
    const { auth } = gw.services.broker.rabbit!.stats as { auth: { denied: { topic: number } } };
    expect(auth.denied.topic).toBeGreaterThanOrEqual(2);
    expect(await alarmsOf('box-r3')).toHaveLength(0);
  });

  it('interoperates with mosquitto_pub, a client nobody here wrote', async () => {
    const node = cluster.nodes[0]!;
    const msg = encodeMessage('event', tricycleAlarm(newId, 'box-r3'));
    await run('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(node.mqttPort), '-V', 'mqttv311', '-q', '1'],
      ...['-i', 'box-r3', '-u', 'box-r3', '-P', secret('box-r3')],
      ...['-t', topics.event('box-r3', 'tricycle_passengers'), '-m', msg.toString()],
    ]);
    await until(async () => (await alarmsOf('box-r3')).length === 1, 15_000, 'the mosquitto_pub alarm');
  });

  it('keeps the alarms sent while the gateway was stopped and cases every one after it starts', async () => {
    const box = await connect('box-r1', secret('box-r1'), 'box-r1:b');
    await publishAlarm(box, 'box-r1'); // rights now in RabbitMQ's auth cache
    await until(async () => (await alarmsOf('box-r1')).filter((a) => a.caseId).length === 2, 15_000);
    await gw.stop();
    for (let i = 0; i < 30; i++) await publishAlarm(box, 'box-r1');
    await startGateway();
    await until(async () => (await alarmsOf('box-r1')).length === 32, 30_000, 'the backlog stored');
    await until(async () => (await alarmsOf('box-r1')).every((a) => a.caseId), 30_000, 'a case for every one');
  }, 60_000);
});
