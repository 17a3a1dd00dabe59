import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../../sim/vision/synthetic-plate.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../../sim/vision/tiny-yolo.ts';
import type { FrameResult } from './pipeline.ts';
import { VisionRunner } from './vision-runner.ts';

describe.skipIf(!haveCjkFont())(
  'vision off the event loop: a worker thread that drops frames instead of queueing them',
  { timeout: 60_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-runner-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps the newest frame when the camera is faster than inference, and never blocks the agent’s loop', async () => {
      writeFileSync(join(dir, 'tiny.onnx'), tinyYoloModel('yolov8'));
      const manifest = join(dir, 'models.yaml');
      writeFileSync(
        manifest,
        `models:\n  - name: tiny\n    task: objects\n    file: tiny.onnx\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [${TINY_YOLO_CLASSES.join(', ')}]\n`,
      );
      const runner = new VisionRunner<number>({ manifest, rules: { maxRiders: { tricycle: 0 } } });
      await runner.start();
      const frame = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 });
      const results: Array<[FrameResult, number]> = [];
      const dropped: number[] = [];
      runner.on('result', (r, n) => results.push([r, n]));
      runner.on('dropped', (n) => dropped.push(n));

      // The agent's loop: a 5 ms timer whose lateness is what a local warning would wait.
      let maxLag = 0;
      let last = performance.now();
      const tick = setInterval(() => {
        const now = performance.now();
        maxLag = Math.max(maxLag, now - last - 5);
        last = now;
      }, 5);
      for (let n = 1; n <= 8; n++) runner.submit({ jpeg: frame, meta: n });
      while (!runner.idle) await new Promise((r) => setTimeout(r, 10));
      clearInterval(tick);
      await runner.stop();

      expect(results.map(([, n]) => n)).toEqual([1, 8]);
      expect(dropped).toEqual([2, 3, 4, 5, 6, 7]);
      expect(runner.stats).toEqual({ submitted: 8, processed: 2, dropped: 6, errors: 0 });
      expect(results[0][0].vehicles[0]).toMatchObject({ violation: true, plate: { text: '鲁PA1234' } });
      const inference = Math.max(...results.map(([r]) => r.ms.total));
      // Inference ran elsewhere: the loop was never held up for as long as one frame took.
      expect(maxLag, `loop lag ${maxLag.toFixed(1)} ms, a frame took ${inference} ms`).toBeLessThan(inference);
    });

    it('stops with a frame in flight, again and again, and the process lives on', async () => {
      const manifest = join(dir, 'models.yaml');
      const frame = await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 });
      for (let i = 0; i < 6; i++) {
        const runner = new VisionRunner<number>({ manifest, rules: { maxRiders: { tricycle: 0 } } });
        await runner.start();
        runner.submit({ jpeg: frame, meta: i });
        // Mid-inference: before this fix the ONNX runtime's finishing run aborted the process here now and then.
        await new Promise((r) => setTimeout(r, i * 3));
        const t0 = performance.now();
        await runner.stop();
        expect(performance.now() - t0).toBeLessThan(5000);
        expect(runner.running).toBe(false);
        expect(runner.submit({ jpeg: frame, meta: -1 })).toBe(false);
      }
    });

    it('refuses to start with a manifest it cannot load, with the reason', async () => {
      const runner = new VisionRunner({ manifest: join(dir, 'missing.yaml') });
      await expect(runner.start()).rejects.toThrow(/vision worker could not start: .*missing\.yaml/);
      expect(runner.running).toBe(false);
    });
  },
);

describe('a vision worker whose models do not load', { timeout: 60_000 }, () => {
  it('says why, ends its thread by itself and leaves the process running (terminating it aborted the whole box)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-runner-broken-'));
    try {
      // Bytes that are no ONNX model, with their true SHA-256: they pass every check but loading.
      const bytes = Buffer.alloc(4096, 7);
      writeFileSync(join(dir, 'broken.onnx'), bytes);
      const manifest = join(dir, 'models.yaml');
      writeFileSync(
        manifest,
        `models:\n  - name: broken\n    task: objects\n    file: broken.onnx\n    sha256: ${createHash('sha256').update(bytes).digest('hex')}\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [${TINY_YOLO_CLASSES.join(', ')}]\n`,
      );
      // Before the fix, about two starts in three ended the process with "terminate called after
      // throwing an instance of 'Napi::Error'"; five in a row all have to come back.
      for (let i = 0; i < 5; i++) {
        const runner = new VisionRunner({ manifest, rules: {} });
        await expect(runner.start()).rejects.toThrow(/vision worker could not start: .*protobuf parsing failed/);
        expect(runner.running).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
