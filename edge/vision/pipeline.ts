import sharp from 'sharp';
import { loadModelManifest } from './models/manifest.ts';
import { ObjectDetector, type Detection } from './object-detector.ts';
import { PlateFinder, type PlateFinding } from './plate-finder.ts';
import { assessVehicles, type RiderRules, type VehicleAssessment } from './rider-rule.ts';
import type { Box } from './text-detector.ts';

export interface VehicleResult {
  class: string;
  score: number;
  box: Box;
  riders: number;
  riderDetections: Array<{ box: Box; score: number }>;
  violation: boolean;
  kind?: VehicleAssessment['kind'];
  reason: string;
  /** The best plate found inside the vehicle's box, or null with why. */
  plate: PlateFinding | null;
  plateReason?: string;
}

export interface FrameResult {
  vehicles: VehicleResult[];
  persons: number;
  ms: { detector: number; plates: number; total: number };
  models: Array<{ name: string; version: string; sha256: string }>;
}

export interface PipelineOptions {
  /** models.yaml with at least one `task: objects` model. */
  manifest: string;
  rules?: RiderRules;
  /** Read plates of every vehicle, not only of those breaking the rule. */
  platesForAll?: boolean;
}

/**
 * One frame through the recognitions: vehicles and people (manifest models), riders per vehicle
 * and the rule, then the plate inside each offending vehicle's box. A vehicle whose plate cannot be
 * read still comes out, with plate null and the reason, so the archive can match it by face.
 */
export class VisionPipeline {
  private constructor(
    private readonly detectors: ObjectDetector[],
    private readonly plates: PlateFinder,
    private readonly o: PipelineOptions,
  ) {}

  static async load(o: PipelineOptions): Promise<VisionPipeline> {
    const m = loadModelManifest(o.manifest);
    const entries = m.models.filter((e) => e.task === 'objects');
    if (!entries.length) throw new Error(`${o.manifest}: no model with task: objects (a vehicle and person detector)`);
    const [detectors, plates] = await Promise.all([Promise.all(entries.map((e) => ObjectDetector.load(e))), PlateFinder.load()]);
    return new VisionPipeline(detectors, plates, o);
  }

  async run(image: Buffer): Promise<FrameResult> {
    const t0 = performance.now();
    const detections: Detection[] = (await Promise.all(this.detectors.map((d) => d.detect(image)))).flat();
    const t1 = performance.now();
    const meta = await sharp(image).metadata();
    const vehicles: VehicleResult[] = [];
    for (const a of assessVehicles(detections, this.o.rules)) {
      const v: VehicleResult = { class: a.vehicle.class, score: a.vehicle.score, box: a.vehicle.box, riders: a.riders.length, riderDetections: a.riders.map((r) => ({ box: r.box, score: r.score })), violation: a.violation, kind: a.kind, reason: a.reason, plate: null };
      if (a.violation || this.o.platesForAll) Object.assign(v, await this.plateIn(image, a.vehicle.box, meta.width ?? 0, meta.height ?? 0));
      else v.plateReason = 'not searched: no violation';
      vehicles.push(v);
    }
    const t2 = performance.now();
    return {
      vehicles,
      persons: detections.filter((d) => d.kind === 'person').length,
      ms: { detector: Math.round(t1 - t0), plates: Math.round(t2 - t1), total: Math.round(t2 - t0) },
      models: this.detectors.map((d) => ({ name: d.model.name, version: d.model.version ?? 'unversioned', sha256: d.sha256 })),
    };
  }

  /** Plates are searched in the vehicle's box widened by a tenth (plates sit at its edge). */
  private async plateIn(image: Buffer, b: Box, W: number, H: number): Promise<Pick<VehicleResult, 'plate' | 'plateReason'>> {
    const mx = Math.round(b[2] * 0.1);
    const my = Math.round(b[3] * 0.1);
    const x0 = Math.max(0, b[0] - mx);
    const y0 = Math.max(0, b[1] - my);
    const w = Math.min(W, b[0] + b[2] + mx) - x0;
    const h = Math.min(H, b[1] + b[3] + my) - y0;
    if (w < 16 || h < 8) return { plate: null, plateReason: 'vehicle too small in the frame to read a plate' };
    const found = await this.plates.find(await sharp(image).extract({ left: x0, top: y0, width: w, height: h }).jpeg({ quality: 95 }).toBuffer());
    const best = found.find((f) => f.valid) ?? found[0];
    if (!best) return { plate: null, plateReason: 'no plate found on the vehicle (none fitted, covered, or too small)' };
    const plate = { ...best, box: [best.box[0] + x0, best.box[1] + y0, best.box[2], best.box[3]] as Box };
    return best.valid ? { plate } : { plate, plateReason: 'text found, but not a valid plate' };
  }
}
