import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VisionPipeline } from '../../edge/index.ts';
import { loadSceneLabels, type SceneLabel, scoreDetections, scorePlates } from '../vision/scene-labels.ts';
import { benchCompiled, forkBenchProcess } from './bench-process.ts';
import type { BoxVisionJob, BoxVisionReport } from './box-vision-process.ts';
import { quantile, rssMb, summary, value, type BenchLine } from './report.ts';

export interface ScenesBenchOptions {
  dir: string;
  truth?: string;
  /** models.yaml for the detector (default: the built-in COCO CenterNet) */
  models?: string;
  tricycleClasses?: string[];
  onProgress?: (msg: string) => void;
}

const BENCH = 'scenes';
const countBy = (xs: string[]) =>
  Object.fromEntries([...new Set(xs)].sort().map((x) => [x, xs.filter((y) => y === x).length]));
const rate = (a: number, b: number) => (b ? Math.round((a / b) * 1000) / 1000 : 0);

type Plates = ReturnType<typeof scorePlates>;

/** Plate lines of one stage: exact, wrong-but-valid (of the valid reads), missed, by kind of plate. */
function plateLines(stage: string, labels: SceneLabel[], scored: Plates[]): BenchLine[] {
  const truth = labels.reduce((n, l) => n + l.plates.length, 0);
  const exact = scored.reduce((n, s) => n + s.exact, 0);
  const valid = scored.reduce((n, s) => n + s.validReads, 0);
  const wrong = scored.flatMap((s) => s.wrongValid);
  const missed = scored.flatMap((s) => s.missed);
  const wrongSure = scored.flatMap((s) => s.wrongSure);
  const sure = scored.reduce((n, s) => n + s.sureReads, 0);
  const kinds = new Map<string, { of: number; missed: number }>();
  for (const l of labels)
    for (const p of l.plates) {
      const k = kinds.get(p.kind ?? 'single_row') ?? { of: 0, missed: 0 };
      k.of++;
      kinds.set(p.kind ?? 'single_row', k);
    }
  for (const p of missed) kinds.get(p.kind ?? 'single_row')!.missed++;
  const byKind = Object.fromEntries([...kinds].map(([k, v]) => [k, `${v.of - v.missed}/${v.of}`]));
  return [
    value(BENCH, `${stage}_plates_exact`, 'plates', exact, { of: truth, rate: rate(exact, truth), by_kind: byKind }),
    value(BENCH, `${stage}_plates_wrong_valid`, 'reads', wrong.length, {
      of_valid_reads: valid,
      duplicates: scored.reduce((n, s) => n + s.duplicates, 0),
      rate: rate(wrong.length, valid),
      reads: wrong,
    }),
    value(BENCH, `${stage}_plates_wrong_sure`, 'reads', wrongSure.length, {
      of_sure_reads: sure,
      rate: rate(wrongSure.length, sure),
      reads: wrongSure,
      note: 'wrong valid reads with no character unsure: only these could name a wrong owner',
    }),
    value(BENCH, `${stage}_plates_missed`, 'plates', missed.length, { plates: missed.map((p) => p.text) }),
    value(
      BENCH,
      `${stage}_not_plates`,
      'reads',
      scored.reduce((n, s) => n + s.notPlates, 0),
      {
        by_reason: countBy(scored.flatMap((s) => s.notPlateCodes)),
        note: 'text read and rejected as no valid plate',
      },
    ),
  ];
}

/**
 * The pipeline on real road photos against this repository's labels (sim/vision/scene-labels.yaml):
 * plates read on the whole frame (the plate search alone) and inside vehicle boxes (as on the box),
 * vehicles, two- and three-wheelers, riders and people found, violations flagged (none of these
 * scenes has one), and the time per frame with every vehicle's plate read.
 */
export async function runScenesBench(o: ScenesBenchOptions): Promise<BenchLine[]> {
  if (!existsSync(o.dir)) throw new Error(`${o.dir}: no such folder (the scenes are in ../shared/fixtures/scenes)`);
  const labels = loadSceneLabels(o.truth);
  const files = readdirSync(o.dir).filter((f) => f in labels);
  const unlabelled = readdirSync(o.dir).filter((f) => /\.(jpe?g|png)$/i.test(f) && !(f in labels));
  if (!files.length) throw new Error(`${o.dir}: none of its images is in the labels`);
  if (unlabelled.length) o.onProgress?.(`not labelled, left out: ${unlabelled.join(', ')}`);
  o.onProgress?.('loading models');
  const pipeline = await VisionPipeline.load({
    manifest: o.models,
    platesForAll: true,
    rules: o.tricycleClasses ? { tricycleClasses: o.tricycleClasses } : undefined,
  });
  const frame: Plates[] = [];
  const boxed: Plates[] = [];
  const det: Array<ReturnType<typeof scoreDetections>> = [];
  const ms: number[] = [];
  /** Frames with six vehicles or more found: the "6 vehicles ≤ 1 s". */
  const busy: number[] = [];
  for (const [i, f] of files.entries()) {
    const image = readFileSync(join(o.dir, f));
    const label = labels[f]!;
    frame.push(scorePlates(label, await pipeline.plates.find(image)));
    const t0 = performance.now();
    const r = await pipeline.run(image);
    ms.push(performance.now() - t0);
    if (r.vehicles.length >= 6) busy.push(ms.at(-1)!);
    boxed.push(
      scorePlates(
        label,
        r.vehicles.flatMap((v) => (v.plate ? [v.plate] : [])),
      ),
    );
    det.push(scoreDetections(label, r));
    o.onProgress?.(`${i + 1}/${files.length} ${f}: ${r.vehicles.length} vehicles, ${Math.round(ms.at(-1)!)} ms`);
  }
  const used = files.map((f) => labels[f]!);
  const sum = (k: 'vehicles' | 'wheelers' | 'riders' | 'people') => {
    const truth = used.reduce((n, l) => n + l[k], 0);
    const found = det.reduce((n, d) => n + d[k].found, 0);
    return value(BENCH, `${k}_found`, k, found, {
      of: truth,
      rate: rate(found, truth),
      extra: det.reduce((n, d) => n + d[k].extra, 0),
      ...(k === 'vehicles'
        ? { scenes_with_none: det.filter((d, i) => used[i]!.vehicles && !d.vehicles.found).length }
        : {}),
    });
  };
  const sorted = [...ms].sort((a, b) => a - b);
  return [
    ...plateLines('frame', used, frame),
    ...plateLines('vehicle', used, boxed),
    sum('vehicles'),
    sum('wheelers'),
    sum('riders'),
    sum('people'),
    value(
      BENCH,
      'violations_flagged',
      'vehicles',
      det.reduce((n, d) => n + d.violations, 0),
      {
        truth: 0,
        note: 'none of the scenes has a violation: each flagged one is false',
      },
    ),
    summary(BENCH, 'frame_ms', 'ms', ms, { p90: Math.round(quantile(sorted, 0.9)), scenes: files.length }),
    ...(busy.length
      ? [
          summary(BENCH, 'frame_6_vehicles_ms', 'ms', busy, {
            note: 'frames with 6 or more vehicles found, every plate read',
          }),
        ]
      : []),
    value(BENCH, 'rss', 'MB', rssMb(), {
      note: 'this bench: every model, every scene, plate search on whole frames too',
    }),
    await boxVisionRss(
      files.map((f) => join(o.dir, f)),
      o,
    ),
  ];
}

/** The peak RSS of a process holding only what a box's vision holds (its worker thread, every model) over the scenes. */
async function boxVisionRss(files: string[], o: ScenesBenchOptions): Promise<BenchLine> {
  o.onProgress?.("a box's vision worker alone, in a fresh process, over the scenes");
  const child = forkBenchProcess('box-vision-process');
  const job: BoxVisionJob = { files, manifest: o.models, tricycleClasses: o.tricycleClasses };
  const report = await new Promise<BoxVisionReport>((resolve, reject) => {
    child.once('message', (r: BoxVisionReport) => resolve(r));
    child.once('exit', (code) => reject(new Error(`the box vision process exited (code ${code}) before it reported`)));
    child.send(job);
  });
  return value(BENCH, 'box_rss', 'MB', report.peakMb, {
    before_vision: report.baseMb,
    frames: report.frames,
    errors: report.errors,
    note: `the agent's vision worker in a process of its own${benchCompiled() ? '' : ' (through tsx)'}, plates read for every vehicle`,
  });
}
