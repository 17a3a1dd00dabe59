import { describe, expect, it } from 'vitest';
import type { Detection } from './object-detector.ts';
import { assessVehicles, inPolygon } from './rider-rule.ts';

const v = (cls: string, box: Detection['box'], score = 0.9): Detection => ({ class: cls, kind: 'vehicle', score, box });
const p = (box: Detection['box'], score = 0.8): Detection => ({ class: 'person', kind: 'person', score, box });

describe('riders and the violation rule', () => {
  const tricycle = v('tricycle', [400, 300, 300, 200]);
  const driver = p([420, 260, 60, 150]);
  const inBed1 = p([560, 250, 60, 160]);
  const inBed2 = p([630, 250, 60, 160]);
  const walker = p([100, 300, 60, 170]);

  it('counts the people on a tricycle (not those walking by) and flags passengers beyond the driver', () => {
    const [a] = assessVehicles([tricycle, driver, inBed1, inBed2, walker]);
    expect(a.riders).toEqual([driver, inBed1, inBed2]);
    expect(a).toMatchObject({
      violation: true,
      kind: 'tricycle_passengers',
      reason: '3 people on a tricycle, at most 1 allowed',
    });
    expect(assessVehicles([tricycle, driver, walker])[0]).toMatchObject({
      violation: false,
      reason: '1 person on a tricycle (up to 1 allowed)',
    });
  });

  it('gives each person to the vehicle that covers them most, and follows county limits', () => {
    const van = v('minivan', [700, 280, 260, 220]);
    const between = p([680, 300, 70, 160]); // mostly on the van, a little on the tricycle
    const r = assessVehicles([tricycle, van, driver, between], { maxRiders: { minivan: 0 } });
    expect(r.find((x) => x.vehicle === van)!.riders).toEqual([between]);
    expect(r.find((x) => x.vehicle === van)).toMatchObject({ violation: true, kind: 'minivan_overload' });
    expect(r.find((x) => x.vehicle === tricycle)!.riders).toEqual([driver]);
  });

  it('flags anyone standing in the camera’s cargo region, even within the count', () => {
    const bed: Array<[number, number]> = [
      [540, 380],
      [700, 380],
      [700, 520],
      [540, 520],
    ];
    expect(inPolygon([600, 410], bed)).toBe(true);
    expect(inPolygon([450, 410], bed)).toBe(false);
    const r = assessVehicles([tricycle, inBed1], { cargoRegion: bed, maxRiders: { tricycle: 3 } });
    expect(r[0]).toMatchObject({
      violation: true,
      kind: 'tricycle_passengers',
      reason: '1 person in the cargo region',
    });
  });

  it('reports an overloaded COCO "motorcycle" as a passenger tricycle where the county says so', () => {
    const moto = v('motorcycle', [400, 300, 300, 200]);
    const three = [driver, inBed1, inBed2];
    expect(assessVehicles([moto, ...three])[0]).toMatchObject({
      violation: true,
      kind: 'overload',
      reason: '3 people on a motorcycle, at most 2 allowed',
    });
    expect(assessVehicles([moto, ...three], { tricycleClasses: ['motorcycle'] })[0]).toMatchObject({
      violation: true,
      kind: 'tricycle_passengers',
      reason: '3 people on a motorcycle (taken as a tricycle), at most 1 allowed',
    });
  });

  it('gives a class taken as tricycles the tricycle limit: a driver and one passenger in the bed is a violation', () => {
    const moto = v('motorcycle', [400, 300, 300, 200]);
    // It used to keep the motorcycle limit (2): this very case was never flagged.
    expect(assessVehicles([moto, driver, inBed1], { tricycleClasses: ['motorcycle'] })[0]).toMatchObject({
      violation: true,
      kind: 'tricycle_passengers',
      reason: '2 people on a motorcycle (taken as a tricycle), at most 1 allowed',
    });
    // The county's own limit for the class, by name, still wins; and the tricycle limit it set.
    expect(
      assessVehicles([moto, driver, inBed1], { tricycleClasses: ['motorcycle'], maxRiders: { motorcycle: 2 } })[0]
        .violation,
    ).toBe(false);
    expect(
      assessVehicles([moto, driver, inBed1], { tricycleClasses: ['motorcycle'], maxRiders: { tricycle: 2 } })[0]
        .violation,
    ).toBe(false);
    // Without tricycleClasses a motorcycle with two is fine.
    expect(assessVehicles([moto, driver, inBed1])[0].violation).toBe(false);
  });

  it('watches only the classes asked for', () => {
    expect(assessVehicles([v('car', [0, 0, 100, 100]), p([10, 10, 20, 40])], { classes: ['tricycle'] })).toEqual([]);
  });
});
