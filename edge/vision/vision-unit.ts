import type { Logger } from 'pino';
import sharp from 'sharp';
import type { Camera, Frame } from '../../hardware/index.ts';
import { createIdGenerator, type AlarmKind, type EvidenceManifest } from '../../protocols/index.ts';
import type { Evidence, Recognition } from '../agent.ts';
import type { Firing } from '../rules/rule-engine.ts';
import type { VisionConfig } from '../config/schema.ts';
import { iou } from './decoders/yolo.ts';
import type { FrameResult, VehicleResult } from './pipeline.ts';
import type { PlateFinding } from './plate-finder.ts';
import { votePlate } from './plate-vote.ts';
import { voteRiders } from './rider-vote.ts';
import type { Box } from './text-detector.ts';
import { VisionRunner } from './vision-runner.ts';

export interface VisionUnitOptions {
  config: VisionConfig;
  camera: Camera;
  /** The agent's evidence and recognition intake. */
  reportEvidence: (e: Evidence) => string;
  /** Warn on the spot for this kind now (the box's rules); what fired is reported later. */
  warn: (kind: AlarmKind) => Promise<Firing[]>;
  /** The recognition of one vehicle's pass, with what its warning fired, to the gateway. */
  report: (fired: Firing[], r: Recognition) => void;
  logger?: Logger;
}

export interface VisionUnitStats {
  frames: number;
  grabFailures: number;
  violations: number;
  reported: number;
  debounced: number;
}

/** Rule kinds that are alarms the county responds to. */
const ALARM: Record<string, AlarmKind> = {
  tricycle_passengers: 'tricycle_passengers',
  minivan_overload: 'minivan_overload',
};

/**
 * 一抓拍三识别 on the box: grabs frames on a timer, runs the pipeline in its worker, and for each
 * vehicle breaking the rule — once per vehicle passing — packs the evidence (frame, vehicle and
 * plate crops, boxes, values, model versions) and reports the recognition, which warns on the
 * spot through the agent's rules and goes to the gateway.
 */
export class VisionUnit {
  readonly stats: VisionUnitStats = { frames: 0, grabFailures: 0, violations: 0, reported: 0, debounced: 0 };
  private readonly runner: VisionRunner<Frame>;
  private timer: NodeJS.Timeout | undefined;
  private grabbing = false;
  private passes: Pass[] = [];
  private readonly newId = createIdGenerator();
  private readonly log: Logger | undefined;

  constructor(private readonly o: VisionUnitOptions) {
    this.log = o.logger?.child({ unit: 'vision' });
    this.runner = new VisionRunner<Frame>({
      manifest: o.config.models,
      rules: {
        maxRiders: o.config.maxRiders,
        cargoRegion: o.config.cargoRegion,
        tricycleClasses: o.config.tricycleClasses,
      },
    });
    this.runner.on(
      'result',
      (r, frame) =>
        void this.onResult(r, frame).catch((e: Error) =>
          this.log?.error({ err: e.message }, 'could not report a recognition'),
        ),
    );
    this.runner.on('error', (e) => this.log?.warn({ err: e.message }, 'frame not recognised'));
  }

  get runnerStats() {
    return this.runner.stats;
  }

  async start(): Promise<void> {
    await this.runner.start();
    this.timer = setInterval(() => void this.grab(), this.o.config.everyMs ?? 1000);
    this.log?.info({ everyMs: this.o.config.everyMs ?? 1000 }, 'vision started');
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.runner.stop();
    // Passes still gathering reads are reported now: a stop loses no alarm.
    await Promise.all(this.passes.map((p) => this.finish(p)));
  }

  private async grab(): Promise<void> {
    if (this.grabbing) return;
    this.grabbing = true;
    try {
      const frame = await this.o.camera.grab();
      this.stats.frames++;
      this.runner.submit({ jpeg: frame.jpeg, meta: frame });
    } catch (e) {
      this.stats.grabFailures++;
      this.log?.debug({ err: (e as Error).message }, 'no frame');
    } finally {
      this.grabbing = false;
    }
  }

  /**
   * Each vehicle breaking the rule warns at once, on its first frame; its pass then gathers the
   * plate reads of the frames that see it for `voteMs`, and one report goes out with the plate
   * voted over them (plate-vote.ts), its rider count voted over every frame that saw it, within its
   * limit or not (rider-vote.ts), and the frame of its surest read — a single bad frame does not
   * decide the plate. The same vehicle (its plate, or its place in the frame) within `debounceS`
   * is the same pass.
   */
  private async onResult(r: FrameResult, frame: Frame): Promise<void> {
    const now = frame.at.getTime();
    const window = (this.o.config.debounceS ?? 20) * 1000;
    this.passes = this.passes.filter((x) => !x.reported || now - x.at < window);
    for (const v of r.vehicles.filter((x) => !x.violation)) {
      // A frame where a vehicle already passing looks within its limit still counts its riders.
      const same = this.passes.find((x) => !x.reported && iou(x.box, v.box) > 0.3);
      if (!same) continue;
      same.box = v.box;
      same.riders.push(v.riders);
    }
    for (const v of r.vehicles.filter((x) => x.violation)) {
      this.stats.violations++;
      const kind = v.kind && ALARM[v.kind];
      if (!kind) continue;
      const plate = v.plate?.valid ? v.plate.text : undefined;
      const same = this.passes.find((x) => (plate && x.reads.some((p) => p.text === plate)) || iou(x.box, v.box) > 0.3);
      if (same) {
        // Still the same vehicle passing: keep it in view, and its read for the vote.
        Object.assign(same, { at: now, box: v.box });
        this.stats.debounced++;
        if (same.reported) continue;
        same.riders.push(v.riders);
        if (!v.plate) continue;
        same.reads.push(v.plate);
        if (v.plate.valid && v.plate.confidence > (same.best.v.plate?.confidence ?? -1)) same.best = { v, frame, r };
        continue;
      }
      const pass: Pass = {
        incidentId: this.newId(),
        kind,
        box: v.box,
        at: now,
        warned: this.o.warn(kind),
        reads: v.plate ? [v.plate] : [],
        riders: [v.riders],
        best: { v, frame, r },
        reported: false,
      };
      this.passes.push(pass);
      await pass.warned;
      const voteMs = this.o.config.voteMs ?? 2500;
      if (voteMs) pass.timer = setTimeout(() => void this.finish(pass), voteMs);
      else await this.finish(pass);
    }
  }

  /** The pass's one report: the voted plate, the evidence of its best frame. */
  private async finish(pass: Pass): Promise<void> {
    if (pass.reported) return;
    pass.reported = true;
    clearTimeout(pass.timer);
    try {
      const { v, frame, r } = pass.best;
      const plate = votePlate(pass.reads);
      const evidenceId = this.o.reportEvidence(await evidenceOf({ ...v, plate: plate ?? v.plate }, frame, r));
      const sure = plate?.valid ? plate : undefined;
      this.o.report(await pass.warned, {
        kind: pass.kind,
        incidentId: pass.incidentId,
        evidenceId,
        data: {
          vehicle: v.class,
          riders: voteRiders(pass.riders) ?? v.riders,
          riderFrames: pass.riders.length,
          reason: v.reason,
          plate: sure?.text ?? null,
          ...(sure
            ? {
                plateColour: sure.colour,
                plateScore: sure.score,
                plateConfidence: sure.confidence,
                ...(sure.uncertain.length ? { plateUncertain: sure.uncertain.join(',') } : {}),
                plateReads: pass.reads.filter((p) => p.valid).length,
              }
            : { plateReason: v.plateReason }),
          face: v.face !== null,
          ...(v.face ? {} : { faceReason: v.faceReason }),
        },
      });
      this.stats.reported++;
    } catch (e) {
      this.log?.error({ err: (e as Error).message }, 'could not report a recognition');
    }
  }
}

interface Pass {
  incidentId: string;
  kind: AlarmKind;
  box: Box;
  /** when it was last seen */
  at: number;
  /** the warning, fired on its first frame */
  warned: Promise<Firing[]>;
  reads: PlateFinding[];
  /** the rider count of each frame that saw it, within its limit or not */
  riders: number[];
  /** the frame with its surest valid plate read (else its first) */
  best: { v: VehicleResult; frame: Frame; r: FrameResult };
  reported: boolean;
  timer?: NodeJS.Timeout;
}

async function evidenceOf(v: VehicleResult, frame: Frame, r: FrameResult): Promise<Evidence> {
  const crop = async (b: Box) => {
    const left = Math.max(0, Math.round(b[0]));
    const top = Math.max(0, Math.round(b[1]));
    const width = Math.max(1, Math.min(frame.width - left, Math.round(b[2])));
    const height = Math.max(1, Math.min(frame.height - top, Math.round(b[3])));
    return {
      jpeg: await sharp(frame.jpeg).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer(),
      width,
      height,
    };
  };
  const images: Evidence['images'] = [{ role: 'frame', jpeg: frame.jpeg, width: frame.width, height: frame.height }];
  images.push({ role: 'vehicle', ...(await crop(v.box)), box: v.box });
  if (v.plate) images.push({ role: 'plate', ...(await crop(v.plate.box)), box: v.plate.box });
  if (v.face) images.push({ role: 'face', ...(await crop(v.face.box)), box: v.face.box });
  const recognitions: EvidenceManifest['recognitions'] = [
    { what: 'vehicle', label: v.class, score: v.score, box: v.box },
    ...v.riderDetections.map((d) => ({ what: 'person' as const, label: 'rider', score: d.score, box: d.box })),
    ...(v.plate
      ? [{ what: 'plate' as const, label: v.plate.colour, score: v.plate.score, box: v.plate.box, value: v.plate.text }]
      : []),
    ...(v.face
      ? [
          {
            what: 'face' as const,
            label: 'driver',
            score: v.face.score,
            box: v.face.box,
            ...(v.face.embedding ? { embedding: v.face.embedding } : {}),
          },
        ]
      : []),
  ];
  return { images, recognitions, models: r.models, capturedAt: frame.at };
}
