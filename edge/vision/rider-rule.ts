import type { Detection } from './object-detector.ts';
import type { Box } from './text-detector.ts';

/** A polygon in image pixels, e.g. the cargo bed of tricycles as this camera sees them. */
export type Polygon = Array<[number, number]>;

export interface RiderRules {
  /** People allowed on a vehicle of each class (driver included); others get `defaultMax`. */
  maxRiders?: Record<string, number>;
  defaultMax?: number;
  /** Classes the rule watches (default: every vehicle class). */
  classes?: string[];
  /** Per-camera cargo region: anyone whose feet are in it is a passenger in the cargo bed. */
  cargoRegion?: Polygon;
  /** A person rides a vehicle when this share of their box lies on the vehicle's (default 0.4). */
  overlap?: number;
  /**
   * Classes to treat as tricycles. COCO detectors have no tricycle: where motorcycles rarely carry
   * three, a "motorcycle" over its limit is most likely a passenger tricycle.
   */
  tricycleClasses?: string[];
}

export interface VehicleAssessment {
  vehicle: Detection;
  riders: Detection[];
  violation: boolean;
  kind?: 'tricycle_passengers' | 'minivan_overload' | 'cargo_passengers' | 'overload';
  reason: string;
}

/** Allowed riders by class when the county says nothing: a tricycle carries its driver only (三轮车违法载人). */
export const DEFAULT_MAX_RIDERS: Record<string, number> = {
  tricycle: 1,
  three_wheeler: 1,
  motorcycle: 2,
  motorbike: 2,
  bicycle: 1,
  'e-bike': 2,
  ebike: 2,
  minivan: 7,
  van: 7,
  car: 5,
};

function coverage(person: Box, vehicle: Box): number {
  const ix = Math.max(0, Math.min(person[0] + person[2], vehicle[0] + vehicle[2]) - Math.max(person[0], vehicle[0]));
  const iy = Math.max(0, Math.min(person[1] + person[3], vehicle[1] + vehicle[3]) - Math.max(person[1], vehicle[1]));
  return (ix * iy) / Math.max(1, person[2] * person[3]);
}

/** Ray casting: is the point inside the polygon? */
export function inPolygon(p: [number, number], poly: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Riders are the people whose boxes lie mostly on a vehicle's box (each person goes to the vehicle
 * covering them most). A vehicle breaks the rule when it carries more people than its class
 * allows, or when anyone stands in the camera's cargo region.
 */
export function assessVehicles(detections: Detection[], rules: RiderRules = {}): VehicleAssessment[] {
  const watched = new Set(rules.classes ?? detections.filter((d) => d.kind === 'vehicle').map((d) => d.class));
  const vehicles = detections.filter((d) => d.kind === 'vehicle' && watched.has(d.class));
  const persons = detections.filter((d) => d.kind === 'person');
  const min = rules.overlap ?? 0.4;
  const ridersOf = new Map<Detection, Detection[]>(vehicles.map((v) => [v, []]));
  for (const p of persons) {
    let best: Detection | undefined;
    let bestCover = min;
    for (const v of vehicles) {
      const c = coverage(p.box, v.box);
      if (c >= bestCover) [best, bestCover] = [v, c];
    }
    if (best) ridersOf.get(best)!.push(p);
  }
  const limits = { ...DEFAULT_MAX_RIDERS, ...rules.maxRiders };
  return vehicles.map((vehicle) => {
    const riders = ridersOf.get(vehicle)!;
    const treatedAs = (rules.tricycleClasses ?? []).includes(vehicle.class);
    const tricycle = vehicle.class === 'tricycle' || vehicle.class === 'three_wheeler' || treatedAs;
    // A class treated as tricycles gets the tricycle limit, unless the county set one for it by name.
    const max =
      rules.maxRiders?.[vehicle.class] ??
      (treatedAs ? limits.tricycle : limits[vehicle.class]) ??
      rules.defaultMax ??
      Infinity;
    const inCargo = rules.cargoRegion
      ? riders.filter((r) => inPolygon([r.box[0] + r.box[2] / 2, r.box[1] + r.box[3]], rules.cargoRegion!))
      : [];
    const what = treatedAs ? `${vehicle.class} (taken as a tricycle)` : vehicle.class;
    if (inCargo.length) {
      return {
        vehicle,
        riders,
        violation: true,
        kind: tricycle ? 'tricycle_passengers' : 'cargo_passengers',
        reason: `${inCargo.length} ${inCargo.length === 1 ? 'person' : 'people'} in the cargo region`,
      };
    }
    if (riders.length > max) {
      const kind = tricycle
        ? 'tricycle_passengers'
        : vehicle.class === 'minivan' || vehicle.class === 'van'
          ? 'minivan_overload'
          : 'overload';
      return {
        vehicle,
        riders,
        violation: true,
        kind,
        reason: `${riders.length} people on a ${what}, at most ${max} allowed`,
      };
    }
    return {
      vehicle,
      riders,
      violation: false,
      reason: `${riders.length} ${riders.length === 1 ? 'person' : 'people'} on a ${what}${Number.isFinite(max) ? ` (up to ${max} allowed)` : ''}`,
    };
  });
}
