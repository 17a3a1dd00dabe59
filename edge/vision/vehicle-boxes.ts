import { nms } from './decoders/yolo.ts';
import type { Detection } from './object-detector.ts';
import type { Box } from './text-detector.ts';

/**
 * One vehicle, one box: detectors box the same vehicle under two classes (a truck also as a bus,
 * a van as a car), each class kept by its own suppression. Across vehicle classes the surer box
 * stays and those overlapping it by more than `threshold` go; people are left as they are.
 */
export function oneBoxPerVehicle(dets: Detection[], threshold = 0.6): Detection[] {
  const vehicles = dets.filter((d) => d.kind === 'vehicle');
  const kept = new Set(nms(vehicles, threshold));
  return dets.filter((d) => d.kind !== 'vehicle' || kept.has(d));
}

const inside = (p: [number, number], b: Box) =>
  p[0] >= b[0] && p[0] <= b[0] + b[2] && p[1] >= b[1] && p[1] <= b[1] + b[3];

/**
 * Which vehicle a plate is on: of the boxes its centre lies in, the smallest — a car's plate seen
 * in front of a bus is the car's. Undefined when it lies in none.
 */
export function ownerOf(plate: Box, vehicles: Box[]): number | undefined {
  const c: [number, number] = [plate[0] + plate[2] / 2, plate[1] + plate[3] / 2];
  let best: number | undefined;
  vehicles.forEach((v, i) => {
    if (inside(c, v) && (best === undefined || v[2] * v[3] < vehicles[best]![2] * vehicles[best]![3])) best = i;
  });
  return best;
}
