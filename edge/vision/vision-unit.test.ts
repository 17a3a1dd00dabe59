import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthState, type Camera, type Frame } from '../../hardware/index.ts';
import type { AlarmKind } from '../../protocols/index.ts';
import { SHARED_SCENES } from '../../sim/vision/scene-labels.ts';
import { haveCjkFont, sceneWithPlate } from '../../sim/vision/synthetic-plate.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../../sim/vision/tiny-yolo.ts';
import type { Recognition } from '../agent.ts';
import type { Firing } from '../rules/rule-engine.ts';
import { VisionUnit } from './vision-unit.ts';

/** A camera that shows the frames given, in order, then the last one again. */
function cameraOf(frames: Buffer[]): Camera {
  let i = 0;
  return {
    name: 'frames',
    health: new HealthState(),
    start: async () => {},
    stop: async () => {},
    grab: async (): Promise<Frame> => ({
      jpeg: frames[Math.min(i++, frames.length - 1)]!,
      at: new Date(),
      width: 1280,
      height: 720,
      source: 'test',
    }),
  };
}

/**
 * One tricycle passing (the tiny YOLO-shaped model always sees it overloaded, where the plate is
 * pasted), its plate the real one of scene-31's white car: the first frame blurred — read alone,
 * it is a sure 鄂A82F36 — then two sharp ones as it moves. It warns once, on the first frame, and
 * reports once, with the plate voted over the pass.
 */
describe.skipIf(!haveCjkFont() || !existsSync(SHARED_SCENES))(
  'a vehicle’s pass: warned on its first frame, reported once with its plate voted over the frames (skipped without ../shared or a CJK font)',
  { timeout: 60_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-vision-unit-'));
    let frames: Buffer[];
    beforeAll(async () => {
      writeFileSync(join(dir, 'tiny.onnx'), tinyYoloModel('yolov8'));
      writeFileSync(
        join(dir, 'models.yaml'),
        `models:\n  - name: tiny-tricycle\n    task: objects\n    file: tiny.onnx\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [${TINY_YOLO_CLASSES.join(', ')}]\n`,
      );
      const real = await sharp(readFileSync(join(SHARED_SCENES, 'scene-31.jpg')))
        .extract({ left: 590, top: 695, width: 200, height: 90 })
        .png()
        .toBuffer();
      const blurred = await sharp(real).blur(3).png().toBuffer();
      frames = [
        await sceneWithPlate(blurred, { x: 560, y: 400, plateWidth: 160 }),
        await sceneWithPlate(real, { x: 570, y: 400, plateWidth: 160 }),
        await sceneWithPlate(real, { x: 580, y: 400, plateWidth: 160 }),
      ];
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function pass(voteMs: number) {
      const warned: AlarmKind[] = [];
      const reports: Recognition[] = [];
      const unit = new VisionUnit({
        config: { models: join(dir, 'models.yaml'), everyMs: 1000, maxRiders: { tricycle: 0 }, debounceS: 60, voteMs },
        camera: cameraOf(frames),
        reportEvidence: () => 'evidence-1',
        warn: async (kind) => {
          warned.push(kind);
          return [{ rule: 'tricycle', localActions: ['light'], report: { kind, severity: 'alarm' } } as Firing];
        },
        report: (_fired, r) => reports.push(r),
      });
      await unit.start();
      return { unit, warned, reports };
    }

    it('does not let the blurred first frame decide the plate', async () => {
      const { unit, warned, reports } = await pass(4000);
      try {
        // Warned at once, on the first frame, before any report.
        await waitFor(() => warned.length === 1);
        expect(reports).toEqual([]);
        await waitFor(() => reports.length === 1, 15_000);
        expect(warned).toEqual(['tricycle_passengers']);
        expect(reports[0]!.data?.plate).toBe('赣A82F36');
        // Every frame of the pass voted (the camera shows the last one again while it waits).
        expect(reports[0]!.data?.plateReads).toBeGreaterThanOrEqual(3);
        expect(reports[0]!.data?.plateUncertain).toBeUndefined();
        // Its riders too are counted in every frame of the pass (the model sees one on it each time).
        expect(reports[0]!.data?.riders).toBe(1);
        expect(reports[0]!.data?.riderFrames).toBeGreaterThanOrEqual(3);
        expect(unit.stats.debounced).toBeGreaterThanOrEqual(2);
      } finally {
        await unit.stop();
      }
      expect(reports).toHaveLength(1);
    });

    it('with no vote (voteMs 0) reports the first frame’s read — the sure wrong province this guards against', async () => {
      const { unit, reports } = await pass(0);
      try {
        await waitFor(() => reports.length === 1, 15_000);
        expect(reports[0]!.data?.plate).toBe('鄂A82F36');
      } finally {
        await unit.stop();
      }
    });
  },
);

async function waitFor(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
