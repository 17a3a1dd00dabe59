import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { loadYamlConfig } from '../../../protocols/index.ts';

export const DECODERS = [
  'yolov8',
  'yolov5',
  'nanodet',
  'centernet',
  'blazeface',
  'ppocr-det',
  'ppocr-ctc',
  'embedding',
] as const;
export type DecoderName = (typeof DECODERS)[number];

export const ModelEntry = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', description: 'used in evidence as the model version' }),
    /** What the pipeline uses it for. */
    task: Type.Union([
      Type.Literal('objects'),
      Type.Literal('faces'),
      Type.Literal('plate_det'),
      Type.Literal('plate_rec'),
      Type.Literal('embedding'),
    ]),
    /** ONNX file; relative paths are relative to the manifest. */
    file: Type.String({ minLength: 1 }),
    /** Checked at load: a corrupted or swapped file is refused. */
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    version: Type.Optional(Type.String()),
    input: Type.Object(
      {
        width: Type.Integer({ minimum: 16, maximum: 4096 }),
        height: Type.Integer({ minimum: 16, maximum: 4096 }),
        layout: Type.Optional(Type.Union([Type.Literal('NCHW'), Type.Literal('NHWC')])),
        channels: Type.Optional(Type.Union([Type.Literal('RGB'), Type.Literal('BGR')])),
        /** Pixel values become (x/255 − mean)/std per channel; YOLO exports want mean 0, std 1. */
        mean: Type.Optional(Type.Array(Type.Number(), { minItems: 3, maxItems: 3 })),
        std: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 3, maxItems: 3 })),
        /** letterbox keeps the aspect ratio (grey bars, as ultralytics trains); stretch fills. */
        resize: Type.Optional(Type.Union([Type.Literal('letterbox'), Type.Literal('stretch')])),
      },
      { additionalProperties: false },
    ),
    decoder: Type.Union(DECODERS.map((d) => Type.Literal(d))),
    /** Class index → name, e.g. [tricycle, person, minivan] for a county's own detector. */
    classes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    scoreThreshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    iouThreshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Only these outputs are converted and read (a TensorFlow.js graph with heads the pipeline does not need). */
    outputs: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** ppocr-ctc: the character dictionary, one per line (relative to the manifest). */
    dictionary: Type.Optional(Type.String({ minLength: 1 })),
    /** Embedding models: how much more of the head than ArcFace's 112×112 crop the model was trained on. */
    faceZoom: Type.Optional(Type.Number({ minimum: 0.5, maximum: 3 })),
  },
  { additionalProperties: false },
);
export type ModelEntry = Static<typeof ModelEntry>;

export const ModelManifest = Type.Object(
  { models: Type.Array(ModelEntry, { minItems: 1 }) },
  { additionalProperties: false },
);
export type ModelManifest = Static<typeof ModelManifest>;

/** Decoders that produce boxes with classes need the class list. */
const NEEDS_CLASSES: DecoderName[] = ['yolov8', 'yolov5', 'nanodet', 'centernet'];

/** Which decoders serve which task. */
export const TASK_DECODERS: Record<ModelEntry['task'], DecoderName[]> = {
  objects: ['yolov8', 'yolov5', 'nanodet', 'centernet'],
  faces: ['blazeface'],
  plate_det: ['ppocr-det'],
  plate_rec: ['ppocr-ctc'],
  embedding: ['embedding'],
};

/**
 * models.yaml: each model's file, input (size, layout, normalisation), output decoder and class
 * map. A county that trains its own tricycle detector drops it in here, with no code change.
 * Files are resolved against the manifest's folder and checked: present, and matching sha256.
 */
export function loadModelManifest(file: string): ModelManifest {
  const base = dirname(resolve(file));
  return loadYamlConfig(ModelManifest, file, {
    crossCheck: (m, problems) => {
      m.models.forEach((e, i) => {
        const where = `models.${i} (${e.name})`;
        if (NEEDS_CLASSES.includes(e.decoder) && !e.classes)
          problems.push(`${where}.classes: the ${e.decoder} decoder needs the class names, in the model's order`);
        if (!TASK_DECODERS[e.task].includes(e.decoder))
          problems.push(
            `${where}.decoder: ${e.decoder} does not serve task ${e.task} (use ${TASK_DECODERS[e.task].join(' or ')})`,
          );
        if (e.decoder === 'ppocr-ctc') {
          if (!e.dictionary)
            problems.push(`${where}.dictionary: the ppocr-ctc decoder needs the recogniser's character list`);
          else {
            e.dictionary = isAbsolute(e.dictionary) ? e.dictionary : resolve(base, e.dictionary);
            if (!existsSync(e.dictionary)) problems.push(`${where}.dictionary: ${e.dictionary} does not exist`);
          }
        }
        if (e.decoder === 'blazeface' && (e.input.width !== e.input.height || ![128, 256].includes(e.input.width)))
          problems.push(`${where}.input: BlazeFace takes 128×128 (front) or 256×256 (back)`);
        const path = isAbsolute(e.file) ? e.file : resolve(base, e.file);
        e.file = path;
        if (!existsSync(path)) return void problems.push(`${where}.file: ${path} does not exist`);
        if (e.sha256) {
          const got = createHash('sha256').update(readFileSync(path)).digest('hex');
          if (got !== e.sha256)
            problems.push(
              `${where}.sha256: ${path} has SHA-256 ${got}, the manifest says ${e.sha256} (corrupted or replaced?)`,
            );
        }
      });
      const names = m.models.map((e) => e.name);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) problems.push(`model name "${dup}" is used twice`);
    },
  });
}
