/**
 * A box's vision alone, in a process of its own: the agent's vision worker (VisionRunner, every
 * model loaded) given each scene in turn, reporting the process's RSS before the worker started
 * and its peak while the frames ran. Forked by bench scenes; answers over IPC.
 */
import { readFileSync } from 'node:fs';
import { VisionRunner } from '../../edge/index.ts';
import { rssMb } from './report.ts';

export interface BoxVisionJob {
  files: string[];
  manifest?: string;
  tricycleClasses?: string[];
}

export interface BoxVisionReport {
  baseMb: number;
  peakMb: number;
  frames: number;
  errors: number;
}

process.once('message', async (job: BoxVisionJob) => {
  const base = rssMb();
  let peak = base;
  const sample = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
  // Plates read for every vehicle: more than a box reads (offenders only), so this is its worst case.
  const runner = new VisionRunner<number>({
    manifest: job.manifest,
    platesForAll: true,
    rules: job.tricycleClasses ? { tricycleClasses: job.tricycleClasses } : undefined,
  });
  await runner.start();
  let errors = 0;
  for (const [i, f] of job.files.entries()) {
    await new Promise<void>((resolve) => {
      const done = () => {
        runner.off('result', done);
        runner.off('error', failed);
        resolve();
      };
      const failed = () => {
        errors++;
        done();
      };
      runner.on('result', done);
      runner.on('error', failed);
      runner.submit({ jpeg: readFileSync(f), meta: i });
    });
    peak = Math.max(peak, rssMb());
  }
  clearInterval(sample);
  await runner.stop();
  const report: BoxVisionReport = { baseMb: base, peakMb: peak, frames: job.files.length, errors };
  process.send!(report, () => process.exit(0));
});
