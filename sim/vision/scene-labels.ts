import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { parseYamlConfig } from '../../protocols/index.ts';

/** This repository's labels for ../shared/fixtures/scenes (scene-labels.yaml: how they were made). */
export const SCENE_LABELS = fileURLToPath(new URL('./scene-labels.yaml', import.meta.url));
/** Where the photos are: beside the repository, never in it. */
export const SHARED_SCENES = fileURLToPath(new URL('../../../shared/fixtures/scenes', import.meta.url));

const Count = Type.Integer({ minimum: 0 });
export const SceneLabel = Type.Object(
  {
    plates: Type.Array(
      Type.Object(
        {
          text: Type.String({ minLength: 2, maxLength: 10 }),
          colour: Type.String(),
          kind: Type.Optional(Type.Union(['new_energy', 'double', 'farm_old'].map((k) => Type.Literal(k)))),
        },
        { additionalProperties: false },
      ),
    ),
    unreadable: Type.Optional(Count),
    vehicles: Count,
    wheelers: Count,
    riders: Count,
    people: Count,
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type SceneLabel = Static<typeof SceneLabel>;
export const SceneLabels = Type.Record(Type.String({ pattern: '^[\\w.-]+\\.(jpe?g|png)$' }), SceneLabel);
export type SceneLabels = Static<typeof SceneLabels>;

export function loadSceneLabels(file = SCENE_LABELS): SceneLabels {
  return parseYamlConfig(SceneLabels, readFileSync(file, 'utf8'), { file, env: {} });
}

/** A read is the labelled plate when every character is the same, `?` standing for any one. */
export function plateMatches(label: string, read: string): boolean {
  const a = [...label];
  const b = [...read];
  return a.length === b.length && a.every((c, i) => c === '?' || c === b[i]);
}

/** The classes that are two- and three-wheelers, whose people are riders. */
export const WHEELERS = new Set(['motorcycle', 'bicycle', 'tricycle', 'e-bike', 'three_wheeler', 'moped', 'scooter']);

export interface PlateRead {
  text: string;
  valid: boolean;
  /** positions read unsure: such a read is a lead, not an identity */
  uncertain?: number[];
  /** why it is no plate, for reads that are not valid */
  notPlate?: { code: string };
}

/**
 * One scene's plates: each label matched by at most one read; another read of a labelled plate is
 * a duplicate; valid reads that match no label are wrong (the ones that send a case to the wrong
 * owner); the rest is text rejected as no plate.
 */
export function scorePlates(label: SceneLabel, reads: PlateRead[]) {
  const left = [...reads];
  const found: string[] = [];
  const missed: SceneLabel['plates'] = [];
  for (const p of label.plates) {
    const i = left.findIndex((r) => plateMatches(p.text, r.text));
    if (i < 0) missed.push(p);
    else {
      found.push(p.text);
      left.splice(i, 1);
    }
  }
  // A labelled plate read again (one vehicle in two boxes) is a duplicate, not a wrong plate.
  const again = (r: PlateRead) => label.plates.some((p) => plateMatches(p.text, r.text));
  return {
    exact: found.length,
    missed,
    wrongValid: left.filter((r) => r.valid && !again(r)).map((r) => r.text),
    /** the wrong ones read with every character sure: what would send a case to the wrong owner */
    wrongSure: left.filter((r) => r.valid && !again(r) && !r.uncertain?.length).map((r) => r.text),
    sureReads: reads.filter((r) => r.valid && !r.uncertain?.length).length,
    duplicates: left.filter(again).length,
    notPlates: left.filter((r) => !r.valid && !again(r)).length,
    /** the rejected reads by why they are no plate (not-a-plate.ts) */
    notPlateCodes: left.filter((r) => !r.valid && !again(r)).map((r) => r.notPlate?.code ?? 'unknown'),
    validReads: reads.filter((r) => r.valid).length,
  };
}

export interface SceneDetections {
  vehicles: Array<{ class: string; riders: number; violation: boolean }>;
  persons: number;
}

/** Counts against the labels: found is what was seen up to what is there; more than that is extra. */
export function scoreDetections(label: SceneLabel, d: SceneDetections) {
  const wheelers = d.vehicles.filter((v) => WHEELERS.has(v.class));
  const riders = wheelers.reduce((n, v) => n + v.riders, 0);
  const part = (got: number, truth: number) => ({ found: Math.min(got, truth), extra: Math.max(0, got - truth) });
  return {
    vehicles: part(d.vehicles.length, label.vehicles),
    wheelers: part(wheelers.length, label.wheelers),
    riders: part(riders, label.riders),
    people: part(d.persons, label.people),
    violations: d.vehicles.filter((v) => v.violation).length,
  };
}
