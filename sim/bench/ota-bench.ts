import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OtaFleet } from '../testing/ota-fleet.ts';
import { crashAtStart } from '../testing/release-variants.ts';
import { type BenchLine, summary, value } from './report.ts';

export interface OtaBenchOptions {
  boxes: number;
  canary: number;
  onProgress?: (m: string) => void;
}

/**
 * Agent updates to a fleet of installed boxes on this machine: a good bundle (rollout created →
 * every box healthy; each box's command → its healthy report), then a bundle that crashes (rollout
 * created → halted at the canaries).
 */
export async function runOtaBench(o: OtaBenchOptions): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-ota-'));
  const fleet = new OtaFleet(dir, o.boxes, '0.2.0-bench.base');
  try {
    await fleet.start(o.onProgress);
    o.onProgress?.('rolling out a good bundle');
    const t0 = performance.now();
    const good = await fleet.rollOut('0.2.1-bench', undefined, o.canary);
    const done = await fleet.follow(good.id, (v) => v.state === 'done' || v.state === 'halted', 1_800_000);
    const seconds = (performance.now() - t0) / 1000;
    const perBox = done.targets
      .filter((t) => t.sentAt && t.state === 'healthy')
      .map((t) => (Date.parse(t.updatedAt) - Date.parse(t.sentAt!)) / 1000);
    o.onProgress?.('rolling out a bundle that crashes');
    const t1 = performance.now();
    const broken = await fleet.rollOut('0.2.2-bench-broken', crashAtStart, o.canary);
    const halted = await fleet.follow(broken.id, (v) => v.state === 'halted' || v.state === 'done', 600_000);
    return [
      value('ota', 'rollout_all_healthy', 's', seconds, {
        boxes: o.boxes,
        canary_percent: o.canary,
        healthy: done.counts.healthy ?? 0,
        state: done.state,
        boxes_per_min: Math.round((o.boxes / seconds) * 60),
      }),
      summary('ota', 'box_update', 's', perBox, { boxes: perBox.length }),
      value('ota', 'broken_halted', 's', (performance.now() - t1) / 1000, {
        state: halted.state,
        rolled_back: halted.counts.rolled_back ?? 0,
        untouched: halted.counts.waiting ?? 0,
      }),
    ];
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
