import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { checker, DeviceFactory, runSelfTest, type CheckResult, type SerialBinding } from '../../hardware/index.ts';
import {
  createIdGenerator,
  decodeMessage,
  encodeMessage,
  parseTopic,
  topics,
  type SelfTestReport,
} from '../../protocols/index.ts';
import { FIRMWARE } from '../agent.ts';
import { type EdgeConfig, edgeDataDir } from '../config/schema.ts';
import { Outbox } from '../outbox.ts';
import { checkClock } from './clock-check.ts';
import { selfTestOutboxMessage, selfTestReport } from './report.ts';

export interface BoxSelfTestOptions {
  config: EdgeConfig;
  /** Wait this long for someone to trigger each sensor by hand (0 = only check it answers). */
  sensorWaitMs?: number;
  /** Where the camera's test frame is saved for the technician to look at. */
  snapshotPath?: string;
  clip?: number;
  /** Technician's name, filed with the report. */
  by?: string;
  /** The box's clock may be this far from the gateway's. */
  clockToleranceMs?: number;
  binding?: SerialBinding;
  onStart?: (device: string, check: string) => void;
  onResult?: (r: CheckResult) => void;
  logger?: Logger;
}

export interface BoxSelfTestResult {
  report: SelfTestReport;
  /** sent: the gateway has it; queued: in the box's outbox, sent when the gateway is reachable. */
  delivery: 'sent' | 'queued';
}

/**
 * `roadwarden selftest`: every light channel, the speaker, each sensor by hand, the camera, the
 * gateway (reachable, credentials accepted) and the clock; the report goes to the gateway, which
 * attaches it to the device record. Run it with the edge agent stopped: it needs the serial ports.
 */
export async function runBoxSelfTest(o: BoxSelfTestOptions): Promise<BoxSelfTestResult> {
  const c = o.config;
  const hooks = { onStart: o.onStart, onResult: o.onResult };
  let results: CheckResult[] = [];
  const factory = new DeviceFactory({ logger: o.logger, binding: o.binding });
  const light = c.hardware.light && factory.light(c.hardware.light);
  const speaker = c.hardware.speaker && factory.speaker(c.hardware.speaker);
  const sensors = (c.hardware.sensors ?? []).map((s) => factory.sensor(s, s.name));
  const camera = c.hardware.camera && factory.camera(c.hardware.camera);
  try {
    results = await runSelfTest(
      { light, speaker, camera, sensors },
      { ...hooks, testClip: o.clip, snapshotPath: o.snapshotPath, sensorWaitMs: o.sensorWaitMs },
    );
  } finally {
    await Promise.all(
      [light?.stop(), speaker?.stop(), camera?.stop(), ...sensors.map((s) => s.stop())].map((p) =>
        p?.catch(() => undefined),
      ),
    );
    await factory.stop();
  }

  const check = checker(results, hooks);
  let client: MqttClient | undefined;
  await check('gateway', 'credentials accepted', async () => {
    client = await connect(c);
    return `${c.gateway.url} accepted ${c.device.id}`;
  });
  if (c.gateway.apiUrl)
    await check('clock', 'in sync with gateway', () => checkClock(c.gateway.apiUrl!, o.clockToleranceMs));

  const newId = createIdGenerator();
  const report = selfTestReport(
    { deviceId: c.device.id, trigger: 'technician', by: o.by, firmware: FIRMWARE, newId },
    results,
  );
  const delivery = await deliver(report, client, c);
  return { report, delivery };
}

/**
 * The box's own MQTT session (client id = device id, not clean, so the agent's session and its
 * queued commands are kept). A command that arrives meanwhile is answered "not run: self-test in
 * progress" rather than dropped, so the centre knows.
 */
async function connect(c: EdgeConfig): Promise<MqttClient> {
  const client = await mqtt.connectAsync(c.gateway.url, {
    clientId: c.device.id,
    username: c.gateway.username,
    password: c.gateway.password,
    ca: c.gateway.caFile ? readFileSync(c.gateway.caFile) : undefined,
    protocolVersion: c.gateway.protocolVersion,
    clean: false,
    reconnectPeriod: 0,
    connectTimeout: 8000,
  });
  const newId = createIdGenerator();
  client.on('message', (topic, payload) => {
    const t = parseTopic(topic);
    if (!t.ok || t.value.kind !== 'command') return;
    const cmd = decodeMessage('command', payload);
    if (!cmd.ok) return;
    const result = {
      v: 1 as const,
      id: newId(),
      deviceId: c.device.id,
      ts: new Date().toISOString(),
      commandId: cmd.value.id,
      name: cmd.value.name,
      ok: false,
      code: 'busy',
      message: 'not run: a technician self-test is in progress on the box',
    };
    client.publish(topics.commandResult(c.device.id, cmd.value.name), encodeMessage('command_result', result), {
      qos: 1,
    });
  });
  return client;
}

/** Publish now if connected; otherwise keep it in the box's outbox for the agent to send. */
async function deliver(
  report: SelfTestReport,
  client: MqttClient | undefined,
  c: EdgeConfig,
): Promise<'sent' | 'queued'> {
  if (client) {
    try {
      await client.publishAsync(topics.selftest(c.device.id), encodeMessage('selftest', report), { qos: 1 });
      return 'sent';
    } catch {
      // fall through to the outbox
    } finally {
      await client.endAsync().catch(() => undefined);
    }
  }
  const dir = edgeDataDir(c);
  mkdirSync(dir, { recursive: true });
  const outbox = new Outbox({ path: join(dir, 'outbox.db') });
  try {
    outbox.append(selfTestOutboxMessage(report));
  } finally {
    outbox.close();
  }
  return 'queued';
}
