import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent } from '../../edge/index.ts';
import { Gateway } from '../../gateway/index.ts';
import type { EvidenceManifest } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { until } from '../testing/until.ts';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../vision/synthetic-plate.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../vision/tiny-yolo.ts';

const DEVICE = 'lc-vision-0001';
const PASSWORD = 'box-secret-vision';

/**
 * Image → recognition → alarm: the simulator's IP camera replays a folder of frames, the box's
 * vision (a YOLO-shaped model from a manifest, rule, plate search) sees a tricycle with a
 * passenger, warns on the spot, and the gateway stores the alarm with its evidence images.
 */
describe.skipIf(!haveCjkFont())(
  'camera frames → vision on the box → alarm with evidence at the gateway',
  { timeout: 90_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-vision-e2e-'));
    let sim: HardwareSimulator;
    let gw: Gateway;
    let agent: EdgeAgent;

    beforeAll(async () => {
      const frames = join(dir, 'frames');
      mkdirSync(frames);
      const plated = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 });
      // A real face (from the face-api demo photos) where the rider's head is.
      const demo = join(
        dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
        'demo',
        'sample1.jpg',
      );
      const face = await sharp(demo).extract({ left: 380, top: 360, width: 270, height: 290 }).resize(120).toBuffer();
      const scene = await sharp(plated)
        .composite([{ input: face, left: 600, top: 220 }])
        .jpeg()
        .toBuffer();
      for (let i = 1; i <= 3; i++) writeFileSync(join(frames, `frame-${i}.jpg`), scene);
      writeFileSync(join(dir, 'tiny.onnx'), tinyYoloModel('yolov8'));
      writeFileSync(
        join(dir, 'models.yaml'),
        `models:\n  - name: tiny-tricycle\n    version: "1"\n    task: objects\n    file: tiny.onnx\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [${TINY_YOLO_CLASSES.join(', ')}]\n`,
      );
      sim = new HardwareSimulator({
        pty: true,
        ptyDir: join(dir, 'tty'),
        speaker: false,
        sensor: false,
        camera: { dir: frames },
      });
      await sim.start();
      gw = new Gateway({ dataDir: join(dir, 'gw'), mqttPort: 0, httpPort: 0 });
      await gw.start();
      await gw.services.access.credentials.addDevice(DEVICE, PASSWORD);
      agent = new EdgeAgent({
        config: {
          device: { id: DEVICE },
          gateway: { url: `mqtt://127.0.0.1:${gw.mqttPort!}`, username: DEVICE, password: PASSWORD },
          hardware: {
            light: { type: 'modbus', port: sim.ttys.light!, channels: 4 },
            camera: { type: 'http', url: sim.endpoints.camera! },
          },
          vision: { models: join(dir, 'models.yaml'), everyMs: 300, maxRiders: { tricycle: 0 }, debounceS: 60 },
          rules: [
            {
              name: 'tricycle',
              trigger: { event: 'tricycle_passengers' },
              light: { mode: 'flash', periodMs: 300, durationS: 5 },
              report: { kind: 'tricycle_passengers', severity: 'alarm' },
            },
          ],
          telemetry: { intervalS: 3600 },
          dataDir: join(dir, 'edge'),
        },
      });
      await agent.start();
    });

    afterAll(async () => {
      await agent?.stop();
      await gw?.stop();
      await sim?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('warns on the spot, and the gateway gets one alarm per vehicle passing, with frame, vehicle and plate images', async () => {
      const alarms = () =>
        gw.context.sql.all<{ body: string }>(
          "SELECT body FROM events WHERE device_id = ? AND kind = 'tricycle_passengers'",
          [DEVICE],
        );
      await until(async () => (await alarms()).length === 1, 30_000, 'the alarm at the gateway');
      const ev = JSON.parse((await alarms())[0].body) as {
        severity: string;
        source: string;
        localActions: string[];
        evidenceId: string;
        incidentId: string;
        data: Record<string, unknown>;
      };
      expect(ev).toMatchObject({
        severity: 'alarm',
        source: 'vision',
        localActions: ['light_flash'],
        data: { vehicle: 'tricycle', riders: 1, plate: '鲁PA1234', plateColour: 'blue', face: true },
      });
      expect(sim.light!.device.history.length).toBeGreaterThan(0);

      const manifestOf = () =>
        gw.context.sql.get<{ body: string }>('SELECT body FROM evidence WHERE id = ?', [ev.evidenceId]);
      await until(async () => (await manifestOf()) !== undefined, 15_000, 'the evidence manifest');
      const m = JSON.parse((await manifestOf())!.body) as EvidenceManifest;
      expect(m.images.map((i) => i.role)).toEqual(['frame', 'vehicle', 'plate', 'face']);
      expect(m.recognitions.find((r) => r.what === 'plate')).toMatchObject({ value: '鲁PA1234' });
      // The driver's descriptor reaches the centre and is kept apart, encrypted, with the plate read beside it.
      expect(m.recognitions.find((r) => r.what === 'face')).not.toHaveProperty('embedding');
      expect(
        await gw.context.sql.get('SELECT model, plate, length(vector) AS bytes FROM faces WHERE evidence_id = ?', [
          ev.evidenceId,
        ]),
      ).toEqual({ model: 'faceres', plate: '鲁PA1234', bytes: 1024 * 4 + 28 });
      expect(m.models.map((x) => x.name)).toEqual([
        'tiny-tricycle',
        'ppocr-v4-det',
        'ppocr-v4-rec',
        'blazeface-back',
        'faceres',
      ]);
      const stored = () => Promise.all(m.images.map((i) => gw.services.evidence.store.has(i.sha256)));
      await until(async () => (await stored()).every(Boolean), 15_000, 'the evidence images');
      expect(m.images[0]).toMatchObject({ width: 1280, height: 720 });

      // The same tricycle in the next frames is the same incident: no second alarm.
      const seen = agent.vision!.runnerStats.processed;
      await until(() => agent.vision!.runnerStats.processed >= seen + 2, 15_000, 'more frames recognised');
      expect(await alarms()).toHaveLength(1);
      expect(agent.vision!.stats.debounced).toBeGreaterThanOrEqual(1);
    });
  },
);
