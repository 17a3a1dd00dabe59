import sharp from 'sharp';
import { defaultObjectModel } from './models/default-models.ts';
import { loadModelManifest, type ModelEntry } from './models/manifest.ts';
import { encodeEmbedding, type FaceEmbedding } from '../../protocols/index.ts';
import { FaceDetector } from './face-detector.ts';
import { FaceEmbedder } from './face-embedder.ts';
import { ObjectDetector, type Detection } from './object-detector.ts';
import { PlateFinder, type PlateFinding } from './plate-finder.ts';
import { assessVehicles, type RiderRules, type VehicleAssessment } from './rider-rule.ts';
import type { Box } from './text-detector.ts';
import { oneBoxPerVehicle, ownerOf } from './vehicle-boxes.ts';

/**
 * A plate is a quarter to a third of its vehicle's width; below this many pixels it is too few to
 * read, and searching costs a text detection each. On the 39 real scenes the narrowest vehicle
 * whose plate read validly was 184 px wide (its plate 58 px); 121 of 187 vehicles were under 120
 * px and none of them gave a valid read.
 */
export const MIN_PLATE_VEHICLE_WIDTH = 96;

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
  /** The driver's face (the best face over the vehicle) and its descriptor, or null with why. */
  face: { box: Box; score: number; embedding?: FaceEmbedding } | null;
  faceReason?: string;
}

export interface FrameResult {
  vehicles: VehicleResult[];
  persons: number;
  ms: { detector: number; plates: number; faces: number; embedding: number; total: number };
  models: Array<{ name: string; version: string; sha256: string }>;
}

export interface PipelineOptions {
  /**
   * models.yaml with at least one `task: objects` model (without it, the built-in COCO CenterNet);
   * `faces`, `plate_det`, `plate_rec` and `embedding` entries replace BlazeFace, PP-OCRv4 and faceres.
   */
  manifest?: string;
  rules?: RiderRules;
  /** Read plates of every vehicle, not only of those breaking the rule. */
  platesForAll?: boolean;
  /** Describe the driver's face for matching by face (default true). */
  faceEmbeddings?: boolean;
}

/**
 * One frame through the recognitions: vehicles and people (manifest models), riders per vehicle
 * and the rule, then the plate inside each offending vehicle's box. A vehicle whose plate cannot be
 * read still comes out, with plate null and the reason, so the archive can match it by face.
 */
export class VisionPipeline {
  private constructor(
    /** The stages, loaded once; benchmarks time them one by one. */
    readonly detectors: ObjectDetector[],
    readonly plates: PlateFinder,
    readonly faces: FaceDetector,
    readonly embedder: FaceEmbedder | null,
    private readonly o: PipelineOptions,
  ) {}

  static async load(o: PipelineOptions): Promise<VisionPipeline> {
    const manifest = o.manifest ? loadModelManifest(o.manifest).models : undefined;
    const entries = manifest ? manifest.filter((e) => e.task === 'objects') : [defaultObjectModel()];
    if (!entries.length) throw new Error(`${o.manifest}: no model with task: objects (a vehicle and person detector)`);
    const named = (task: ModelEntry['task']) => manifest?.find((e) => e.task === task);
    const embedding = named('embedding');
    const [detectors, plates, faces, embedder] = await Promise.all([
      Promise.all(entries.map((e) => ObjectDetector.load(e))),
      PlateFinder.load({ detector: named('plate_det'), reader: named('plate_rec') }),
      FaceDetector.load({ model: named('faces') }),
      o.faceEmbeddings === false ? null : FaceEmbedder.load(embedding),
    ]);
    return new VisionPipeline(detectors, plates, faces, embedder, o);
  }

  async run(image: Buffer): Promise<FrameResult> {
    const t0 = performance.now();
    const detections: Detection[] = oneBoxPerVehicle(
      (await Promise.all(this.detectors.map((d) => d.detect(image)))).flat(),
    );
    const t1 = performance.now();
    const meta = await sharp(image).metadata();
    const vehicles: VehicleResult[] = [];
    const W = meta.width ?? 0;
    const H = meta.height ?? 0;
    let faceMs = 0;
    const embedMs = { ms: 0 };
    const assessed = assessVehicles(detections, this.o.rules);
    const boxes = assessed.map((a) => a.vehicle.box);
    for (const [i, a] of assessed.entries()) {
      const v: VehicleResult = {
        class: a.vehicle.class,
        score: a.vehicle.score,
        box: a.vehicle.box,
        riders: a.riders.length,
        riderDetections: a.riders.map((r) => ({ box: r.box, score: r.score })),
        violation: a.violation,
        kind: a.kind,
        reason: a.reason,
        plate: null,
        face: null,
      };
      if (a.violation || this.o.platesForAll) {
        Object.assign(v, await this.plateIn(image, i, boxes, W, H));
        const f0 = performance.now();
        Object.assign(v, await this.faceOn(image, [a.vehicle.box, ...a.riders.map((r) => r.box)], W, H, embedMs));
        faceMs += performance.now() - f0;
      } else {
        v.plateReason = 'not searched: no violation';
        v.faceReason = 'not searched: no violation';
      }
      vehicles.push(v);
    }
    onePlatePerVehicle(vehicles);
    const t2 = performance.now();
    return {
      vehicles,
      persons: detections.filter((d) => d.kind === 'person').length,
      ms: {
        detector: Math.round(t1 - t0),
        plates: Math.round(t2 - t1 - faceMs),
        faces: Math.round(faceMs - embedMs.ms),
        embedding: Math.round(embedMs.ms),
        total: Math.round(t2 - t0),
      },
      models: [
        ...this.detectors,
        this.plates.detector,
        this.plates.reader,
        this.faces,
        ...(this.embedder ? [this.embedder] : []),
      ].map((d) => d.info),
    };
  }

  /**
   * The driver's face: searched over the vehicle and its riders, widened upwards (a rider's head
   * is above the vehicle's box); the best face there is taken as the driver's.
   */
  private async faceOn(
    image: Buffer,
    boxes: Box[],
    W: number,
    H: number,
    embedMs: { ms: number },
  ): Promise<Pick<VehicleResult, 'face' | 'faceReason'>> {
    const x0 = Math.max(0, Math.min(...boxes.map((b) => b[0])) - 20);
    const x1 = Math.min(W, Math.max(...boxes.map((b) => b[0] + b[2])) + 20);
    const top = Math.min(...boxes.map((b) => b[1]));
    const y0 = Math.max(0, top - Math.round(0.3 * (Math.max(...boxes.map((b) => b[1] + b[3])) - top)));
    const y1 = Math.min(H, Math.max(...boxes.map((b) => b[1] + b[3])));
    if (x1 - x0 < 24 || y1 - y0 < 24) return { face: null, faceReason: 'vehicle too small in the frame to see a face' };
    const region = await sharp(image)
      .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
      .jpeg({ quality: 95 })
      .toBuffer();
    const found = await this.faces.detect(region);
    if (!found.length) return { face: null, faceReason: 'no face found (turned away, covered, or too small)' };
    const f = found[0];
    const face: NonNullable<VehicleResult['face']> = {
      box: [f.box[0] + x0, f.box[1] + y0, f.box[2], f.box[3]],
      score: f.score,
    };
    if (this.embedder) {
      const e0 = performance.now();
      face.embedding = encodeEmbedding(this.embedder.model.name, await this.embedder.embed(region, f));
      embedMs.ms += performance.now() - e0;
    }
    return { face };
  }

  /**
   * Plates are searched in the vehicle's box widened by a tenth (plates sit at its edge); a plate
   * found there that lies on another vehicle's box (a neighbour's, seen through the margin or in
   * an overlap) is not this one's.
   */
  private async plateIn(
    image: Buffer,
    index: number,
    boxes: Box[],
    W: number,
    H: number,
  ): Promise<Pick<VehicleResult, 'plate' | 'plateReason'>> {
    const b = boxes[index]!;
    const mx = Math.round(b[2] * 0.1);
    const my = Math.round(b[3] * 0.1);
    const x0 = Math.max(0, b[0] - mx);
    const y0 = Math.max(0, b[1] - my);
    const w = Math.min(W, b[0] + b[2] + mx) - x0;
    const h = Math.min(H, b[1] + b[3] + my) - y0;
    if (b[2] < MIN_PLATE_VEHICLE_WIDTH || w < 16 || h < 8)
      return {
        plate: null,
        plateReason: `vehicle too small in the frame to read a plate (${Math.round(b[2])} px wide, under ${MIN_PLATE_VEHICLE_WIDTH})`,
      };
    const found = (
      await this.plates.find(
        await sharp(image).extract({ left: x0, top: y0, width: w, height: h }).jpeg({ quality: 95 }).toBuffer(),
      )
    )
      .map((f) => ({ ...f, box: [f.box[0] + x0, f.box[1] + y0, f.box[2], f.box[3]] as Box }))
      .filter((f) => (ownerOf(f.box, boxes) ?? index) === index);
    const plate = found.find((f) => f.valid) ?? found[0];
    if (!plate)
      return { plate: null, plateReason: 'no plate found on the vehicle (none fitted, covered, or too small)' };
    return plate.valid
      ? { plate }
      : { plate, plateReason: `text found, but not a valid plate: ${plate.notPlate?.why ?? 'GA 36 rules'}` };
  }
}

/** Each plate on one vehicle: read again for a second vehicle (boxes that overlap), it stays with the first. */
function onePlatePerVehicle(vehicles: VehicleResult[]): void {
  const seen = new Set<string>();
  for (const v of vehicles) {
    if (!v.plate?.valid) continue;
    if (seen.has(v.plate.text)) {
      v.plate = null;
      v.plateReason = 'its plate is another vehicle’s in this frame';
    } else seen.add(v.plate.text);
  }
}
