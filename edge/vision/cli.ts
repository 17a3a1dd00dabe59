import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import sharp from 'sharp';
import { normalizePlate } from '../../protocols/index.ts';
import { PlateFinder, type PlateFinding } from './plate-finder.ts';

const IMAGE = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

interface RecognizeOpts {
  stage: string;
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
async function annotate(image: Buffer, plates: PlateFinding[], out: string): Promise<void> {
  const meta = await sharp(image).metadata();
  const w = meta.width ?? 1;
  const h = meta.height ?? 1;
  const stroke = Math.max(2, Math.round(Math.min(w, h) / 200));
  const size = Math.max(12, Math.round(Math.min(w, h) / 18));
  const esc = (s: string) => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const marks = plates
    .map((p) => {
      const [x, y, bw, bh] = p.box;
      const colour = p.valid ? '#00e676' : '#ff9100';
      const ty = y > size + 4 ? y - 4 : Math.min(h - 4, y + bh + size);
      return `<rect x="${x}" y="${y}" width="${bw}" height="${bh}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>
        <text x="${x}" y="${ty}" font-family="WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif" font-size="${size}" fill="${colour}" stroke="#000" stroke-width="${Math.max(2, size / 8)}" paint-order="stroke">${esc(p.text)} ${p.score.toFixed(2)}</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${marks}</svg>`;
  await sharp(image).composite([{ input: Buffer.from(svg) }]).jpeg({ quality: 90 }).toFile(out);
}

export function registerRecognizeCli(program: Command, _logger: (cmd: Command) => Logger): void {
  program
    .command('recognize <path>')
    .description('run the recognition pipeline on an image or a folder of images; one result per image')
    .option('--stage <stage>', 'plate: find and read licence plates in the whole image (plate photos, crops, frames)', 'plate')
    .option('--json', 'one JSON object per line per image: {"file", "plates": [{text, valid, kind, rows, colour, score, box}]}')
    .option('--annotate <dir>', 'write each image with its boxes and readings drawn into this folder')
    .option('--score-names', 'the file names are the true plates (鲁PA1234.jpg): print exact-match rate and character accuracy at the end')
    .addHelpText('after', '\nStages still being built (issue 5): vehicles, riders, faces. Models come from npm packages; nothing is downloaded.')
    .action(async (path: string, o: RecognizeOpts) => {
      if (o.stage !== 'plate') throw new Error(`stage "${o.stage}" is not available yet; use --stage plate (vehicle, rider and face stages are still being built)`);
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
        else process.stdout.write(`${file}\t${plates.length ? plates.map((p) => `${p.text} (${p.valid ? p.kind : 'not a valid plate'}, ${p.rows === 2 ? 'double row, ' : ''}${p.colour}, ${p.score.toFixed(3)})`).join('; ') : 'no plate found'}\t${ms} ms\n`);
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
        process.stdout.write(`${JSON.stringify({ images: tally.images, exact: tally.exact, exact_rate: r(tally.exact / tally.images), char_accuracy: r(tally.charsRight / tally.chars) })}\n`);
      }
    });
}
