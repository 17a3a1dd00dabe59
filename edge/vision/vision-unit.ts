import type { Logger } from 'pino';
import sharp from 'sharp';
import type { Camera, Frame } from '../../hardware/index.ts';
import { createIdGenerator, type AlarmKind, type EvidenceManifest } from '../../protocols/index.ts';
import type { Evidence, Recognition } from '../agent.ts';
import type { VisionConfig } from '../config/schema.ts';
import { iou } from './decoders/yolo.ts';
import type { FrameResult, VehicleResult } from './pipeline.ts';
import type { Box } from './text-detector.ts';
import { VisionRunner } from './vision-runner.ts';

export interface VisionUnitOptions {
  config: VisionConfig;
  camera: Camera;
  /** The agent's evidence and recognition intake. */
  reportEvidence: (e: Evidence) => string;
  reportRecognition: (r: Recognition) => Promise<unknown>;
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
  private recent: Array<{ at: number; box: Box; plate?: string; incidentId: string }> = [];
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

  private async onResult(r: FrameResult, frame: Frame): Promise<void> {
    const now = frame.at.getTime();
    const window = (this.o.config.debounceS ?? 20) * 1000;
    this.recent = this.recent.filter((x) => now - x.at < window);
    for (const v of r.vehicles.filter((x) => x.violation)) {
      this.stats.violations++;
      const kind = v.kind && ALARM[v.kind];
      if (!kind) continue;
      const plate = v.plate?.valid ? v.plate.text : undefined;
      const same = this.recent.find((x) => (plate && x.plate === plate) || iou(x.box, v.box) > 0.3);
      if (same) {
        // Still the same vehicle passing: keep it in view, do not report again.
        Object.assign(same, { at: now, box: v.box });
        this.stats.debounced++;
        continue;
      }
      const incidentId = this.newId();
      this.recent.push({ at: now, box: v.box, plate, incidentId });
      const evidenceId = this.o.reportEvidence(await evidenceOf(v, frame, r));
      await this.o.reportRecognition({
        kind,
        incidentId,
        evidenceId,
        data: {
          vehicle: v.class,
          riders: v.riders,
          reason: v.reason,
          plate: plate ?? null,
          ...(plate
            ? {
                plateColour: v.plate!.colour,
                plateScore: v.plate!.score,
                plateConfidence: v.plate!.confidence,
                ...(v.plate!.uncertain.length ? { plateUncertain: v.plate!.uncertain.join(',') } : {}),
              }
            : { plateReason: v.plateReason }),
          face: v.face !== null,
          ...(v.face ? {} : { faceReason: v.faceReason }),
        },
      });
      this.stats.reported++;
    }
  }
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
