import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent, type EdgeConfig } from '../../edge/index.ts';
import { createIdGenerator, decodeMessage, topics } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { startTestBroker, type TestBroker } from '../testing/aedes-broker.ts';
import { until } from '../testing/until.ts';

const DEVICE = 'lc-e2e-0001';
const newId = createIdGenerator();

describe('edge agent end to end: aedes over TCP, simulated hardware over ptys', () => {
  let dir: string;
  let sim: HardwareSimulator;
  let broker: TestBroker;
  let agent: EdgeAgent;
  let watcher: MqttClient;
  let clips: Server;
  const seen: Array<{ topic: string; payload: string }> = [];
  const clip = Buffer.from('ID3 pretend mp3 bytes: 三轮车禁止载人');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-e2e-'));
    sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), camera: false });
    await sim.start();
    broker = await startTestBroker();
    watcher = await mqtt.connectAsync(broker.url, { clientId: 'county-watcher' });
    watcher.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await watcher.subscribeAsync(`rw/v1/${DEVICE}/#`, { qos: 1 });
    clips = createServer((req, res) => (req.url === '/clip.mp3' ? res.end(clip) : res.writeHead(404).end()));
    await new Promise<void>((r) => clips.listen(0, '127.0.0.1', r));
    const config: EdgeConfig = {
      device: { id: DEVICE, location: { lat: 36.45, lon: 115.98 } },
      gateway: { url: broker.url },
      hardware: {
        light: { type: 'modbus', port: sim.ttys.light!, channels: 4 },
        speaker: { type: 'mp3', port: sim.ttys.speaker! },
        sensors: [{ name: 'approach', type: 'firmata', port: sim.ttys.sensor!, pin: 2, debounceMs: 20 }],
      },
      rules: [
        {
          name: 'approach_warning',
          trigger: { sensor: 'approach' },
          light: { mode: 'flash', periodMs: 400, duty: 0.5, durationS: 2 },
          voice: { clip: 1, times: 1 },
          cooldownS: 1,
          report: { kind: 'presence', severity: 'info' },
        },
        {
          name: 'tricycle',
          trigger: { event: 'tricycle_passengers' },
          light: { mode: 'flash', periodMs: 300 },
          voice: { clip: 2 },
          report: { kind: 'tricycle_passengers', severity: 'alarm' },
        },
      ],
      telemetry: { intervalS: 3600 },
      dataDir: join(dir, 'data'),
    };
    agent = new EdgeAgent({ config });
    await agent.start();
    await until(() => agent.link.connected, 5000);
  });

  afterAll(async () => {
    await agent?.stop();
    await watcher?.endAsync();
    await broker?.close();
    await sim?.stop();
    clips?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const events = (kind: string) =>
    seen.filter((m) => m.topic === topics.event(DEVICE, kind)).map((m) => JSON.parse(m.payload));
  const resultOf = async (commandId: string) => {
    await until(
      () => seen.some((m) => m.topic.endsWith('/result') && JSON.parse(m.payload).commandId === commandId),
      5000,
    );
    return JSON.parse(
      seen.find((m) => m.topic.endsWith('/result') && JSON.parse(m.payload).commandId === commandId)!.payload,
    );
  };
  const command = async (name: string, params: unknown, extra: Record<string, unknown> = {}) => {
    const id = newId();
    const cmd = { v: 1, id, deviceId: DEVICE, ts: new Date().toISOString(), name, params, ...extra };
    await watcher.publishAsync(topics.command(DEVICE, name), JSON.stringify(cmd), { qos: 1 });
    return resultOf(id);
  };

  it('a vehicle on the loop flashes the light and plays the clip, and the event arrives exactly once', async () => {
    const flashesBefore = sim.light!.device.history.length;
    const playsBefore = sim.speaker!.device.plays.length;
    await sim.control('sensor on');
    await until(() => sim.speaker!.device.plays.length > playsBefore, 3000);
    await until(() => sim.light!.device.history.length >= flashesBefore + 3, 3000);
    await sim.control('sensor off');
    expect(sim.speaker!.device.plays.at(-1)?.track).toBe(1);
    await until(() => events('presence').length >= 1, 5000);
    await new Promise((r) => setTimeout(r, 300));
    const ev = events('presence');
    expect(ev).toHaveLength(1);
    const decoded = decodeMessage('event', JSON.stringify(ev[0]));
    expect(decoded.ok).toBe(true);
    expect(ev[0]).toMatchObject({
      kind: 'presence',
      source: 'sensor',
      localActions: expect.arrayContaining(['light_flash', 'voice_clip_1']),
    });
    await until(() => agent.outbox.stats().pending === 0);
  });

  it('a recognition from vision warns on the spot and reports an alarm', async () => {
    const plays = sim.speaker!.device.plays.length;
    await agent.reportRecognition({ kind: 'tricycle_passengers', data: { riders: 3 } });
    expect(sim.speaker!.device.plays.length).toBe(plays + 1);
    await until(() => events('tricycle_passengers').length === 1, 5000);
    expect(events('tricycle_passengers')[0]).toMatchObject({
      severity: 'alarm',
      source: 'vision',
      data: { riders: 3, rule: 'tricycle' },
    });
  });

  it('carries out commands and answers each with a result', async () => {
    expect(await command('set_volume', { volume: 17 })).toMatchObject({ ok: true, name: 'set_volume' });
    expect(sim.speaker!.device.volume).toBe(17);
    expect(await command('set_light', { mode: 'on', channels: [3] })).toMatchObject({ ok: true });
    expect(sim.light!.device.coils[2]).toBe(true);
    const st = await command('self_test', {});
    expect(st).toMatchObject({ ok: true, data: { failed: 0 } });
  });

  it('answers malformed, unknown and expired commands with an error result and keeps going', async () => {
    expect(await command('set_volume', { volume: 99 })).toMatchObject({
      ok: false,
      code: 'bad_command',
      message: expect.stringMatching(/volume/),
    });
    expect(await command('format_disk', {})).toMatchObject({ ok: false, code: 'unknown_command' });
    expect(await command('play_clip', { clip: 1 }, { expiresAt: '2020-01-01T00:00:00Z' })).toMatchObject({
      ok: false,
      code: 'expired',
    });
    await watcher.publishAsync(topics.command(DEVICE, 'stop'), '{not json', { qos: 1 });
    await until(
      () =>
        seen.some(
          (m) => m.topic === topics.commandResult(DEVICE, 'stop') && JSON.parse(m.payload).code === 'bad_command',
        ),
      5000,
    );
    expect(await command('stop', {})).toMatchObject({ ok: true });
  });

  it('updates a voice clip only when its SHA-256 matches', async () => {
    const url = `http://127.0.0.1:${(clips.address() as AddressInfo).port}/clip.mp3`;
    const good = createHash('sha256').update(clip).digest('hex');
    const bad = await command('update_voice', { clip: 9, url, sha256: 'a'.repeat(64) });
    expect(bad).toMatchObject({ ok: false, code: 'hash_mismatch' });
    const ok = await command('update_voice', { clip: 9, url, sha256: good });
    expect(ok).toMatchObject({ ok: true, data: { clip: 9, bytes: clip.length } });
    expect(readFileSync(join(dir, 'data', 'voice', 'clip-0009.mp3'))).toEqual(clip);
  });

  it('applies retained desired config and reports the version in telemetry', async () => {
    const cfg = {
      v: 1,
      id: newId(),
      deviceId: DEVICE,
      ts: new Date().toISOString(),
      version: 7,
      config: { volume: 11 },
    };
    await watcher.publishAsync(topics.config(DEVICE), JSON.stringify(cfg), { qos: 1, retain: true });
    await until(() => sim.speaker!.device.volume === 11, 5000);
    await until(
      () => seen.some((m) => m.topic === topics.telemetry(DEVICE) && JSON.parse(m.payload).configVersion === 7),
      5000,
    );
  });

  it('reports a vanished light controller in telemetry and recovers when it is back, while the speaker keeps working', async () => {
    const telemetry = () =>
      seen.filter((m) => m.topic === topics.telemetry(DEVICE)).map((m) => JSON.parse(m.payload) as { flags: string[] });
    await sim.control('unplug light');
    await until(() => telemetry().at(-1)?.flags.includes('light_offline') === true, 5000);
    expect(await command('play_clip', { clip: 2 })).toMatchObject({ ok: true });
    expect(await command('set_light', { mode: 'on' })).toMatchObject({ ok: false });
    await sim.control('replug light');
    await until(() => telemetry().at(-1)?.flags.includes('light_offline') === false, 8000);
  });

  it('reports a lamp fault in telemetry', async () => {
    await sim.control('burn 4');
    await command('set_light', { mode: 'on', channels: [4] });
    await agent.light!.readLamps();
    await until(
      () =>
        seen.some((m) => m.topic === topics.telemetry(DEVICE) && JSON.parse(m.payload).flags.includes('lamp_fault')),
      5000,
    );
    await sim.control('fix 4');
  });
});
