import { describe, expect, it } from 'vitest';
import type { Detection } from './object-detector.ts';
import { oneBoxPerVehicle, ownerOf } from './vehicle-boxes.ts';

const det = (cls: string, kind: Detection['kind'], score: number, box: Detection['box']): Detection => ({
  class: cls,
  kind,
  score,
  box,
});

describe('one box per vehicle, each plate on its own vehicle', () => {
  it('keeps the surer box of one vehicle seen as two classes, and leaves other vehicles and people alone', () => {
    const truck = det('truck', 'vehicle', 0.8, [100, 100, 400, 300]);
    const bus = det('bus', 'vehicle', 0.6, [110, 95, 390, 310]);
    // A motorcycle in front of the truck overlaps it, but is another vehicle.
    const moto = det('motorcycle', 'vehicle', 0.5, [380, 300, 80, 90]);
    const rider = det('person', 'person', 0.9, [390, 260, 50, 100]);
    const crowd = det('person', 'person', 0.4, [392, 262, 50, 100]);
    expect(oneBoxPerVehicle([bus, truck, moto, rider, crowd])).toEqual([truck, moto, rider, crowd]);
  });

  it('gives a plate to the smallest box its centre lies in: a car’s plate before a bus is the car’s', () => {
    const bus = [0, 0, 600, 400] as const;
    const car = [300, 200, 200, 150] as const;
    expect(ownerOf([380, 320, 50, 14], [[...bus], [...car]])).toBe(1);
    expect(ownerOf([100, 300, 50, 14], [[...bus], [...car]])).toBe(0);
    expect(ownerOf([700, 300, 50, 14], [[...bus], [...car]])).toBeUndefined();
  });
});
