import sharp from 'sharp';
import { parsePlate, type PlateColour, type PlateKind } from '../../protocols/index.ts';
import { PlateReader, type PlateReading } from './plate-reader.ts';
import { TextDetector, type Box } from './text-detector.ts';
import type { ModelEntry } from './models/manifest.ts';

/**
 * A character read with less probability than this is uncertain, and its plate a lead, not an
 * identity. Calibrated on the scenes and the 62 crops (docs/vision.md): every wrong valid read of
 * the scenes had a character below 0.83; 6 of the 25 right ones had one too (they stay leads), and 1
 * of the 62 crops.
 */
export const UNCERTAIN_BELOW = 0.9;

export interface PlateFinding {
  /** Normalised, without the separator dot: 鲁PA1234. */
  text: string;
  /** Whether the text is a valid GA 36 plate; `kind` says which. */
  valid: boolean;
  kind?: PlateKind;
  /** 2 for the double-row plates of tricycles, farm vehicles and trucks. */
  rows: 1 | 2;
  colour: PlateColour | 'unknown';
  /** Mean character probability. */
  score: number;
  /** The least sure character's probability: a plate is as sure as its weakest character. */
  confidence: number;
  /** Positions (0-based) whose character is below UNCERTAIN_BELOW: a lead, not an identity. */
  uncertain: number[];
  box: Box;
  /** Found by text detection, or the whole image read as one plate (a tight crop). */
  source: 'detected' | 'whole_image';
}

const union = (a: Box, b: Box): Box => {
  const x0 = Math.min(a[0], b[0]);
  const y0 = Math.min(a[1], b[1]);
  return [x0, y0, Math.max(a[0] + a[2], b[0] + b[2]) - x0, Math.max(a[1] + a[3], b[1] + b[3]) - y0];
};
const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/** Text boxes on one line, split at the plate's separator dot, joined back into one line. */
function joinLines(boxes: Box[]): Box[] {
  const lines: Box[] = [];
  for (const b of [...boxes].sort((p, q) => p[0] - q[0])) {
    const same = lines.findIndex((l) => {
      const v = overlap(l[1], l[1] + l[3], b[1], b[1] + b[3]) / Math.min(l[3], b[3]);
      const gap = b[0] - (l[0] + l[2]);
      return v > 0.6 && gap < 1.2 * Math.max(l[3], b[3]) && Math.abs(l[3] - b[3]) < 0.4 * Math.max(l[3], b[3]);
    });
    if (same >= 0) lines[same] = union(lines[same], b);
    else lines.push(b);
  }
  return lines;
}

/**
 * Finds and reads licence plates in an image: PP-OCR text detection, lines joined across the
 * separator dot, each line read by the plate recogniser; a short line of province + letter
 * above a line of five characters is a **double-row plate** (tricycles, farm vehicles) and the two
 * are read as one. A tight crop with no text box found is read whole (and as two rows when it
 * is the squarer shape of a double-row plate).
 */
export class PlateFinder {
  private constructor(
    readonly detector: TextDetector,
    readonly reader: PlateReader,
  ) {}

  /** The built-in PP-OCRv4, or a manifest's `ppocr-det` / `ppocr-ctc` models in their place. */
  static async load(o: { detector?: ModelEntry; reader?: ModelEntry } = {}): Promise<PlateFinder> {
    const [detector, reader] = await Promise.all([
      TextDetector.load({
        model: o.detector?.file,
        name: o.detector?.name,
        version: o.detector?.version,
        threshold: o.detector?.scoreThreshold,
      }),
      PlateReader.load({
        model: o.reader?.file,
        dictionary: o.reader?.dictionary,
        name: o.reader?.name,
        version: o.reader?.version,
      }),
    ]);
    return new PlateFinder(detector, reader);
  }

  async find(image: Buffer): Promise<PlateFinding[]> {
    const meta = await sharp(image).metadata();
    const W = meta.width ?? 0;
    const H = meta.height ?? 0;
    // A tight crop reads best as it is (margins added around a detected line shift the reading).
    const whole = await this.singleRow(image, W, H);
    if (whole.some((f) => f.valid)) return this.coloured(image, whole, W, H);
    const lines = joinLines((await this.detector.detect(image)).map((t) => t.box).filter((b) => b[3] >= 8));
    const read = await Promise.all(
      lines.map(async (box) => ({ box, r: await this.reader.read(await crop(image, box, W, H)) })),
    );
    const found: PlateFinding[] = [];
    const used = new Set<number>();
    // Double rows: a 2-character top line (province + letter) over a line of five; the lower line
    // is read again as serial positions (its first character is not a province).
    for (const [i, top] of read.entries()) {
      if (used.has(i) || [...top.r.text].length !== 2) continue;
      const below = read.findIndex((b, j) => {
        if (j === i || used.has(j)) return false;
        const gap = b.box[1] - (top.box[1] + top.box[3]);
        return (
          gap > -0.3 * top.box[3] &&
          gap < b.box[3] &&
          overlap(top.box[0], top.box[0] + top.box[2], b.box[0], b.box[0] + b.box[2]) > 0.5 * top.box[2]
        );
      });
      if (below < 0) continue;
      used.add(i).add(below);
      const bottom = await this.reader.read(await crop(image, read[below].box, W, H), 2);
      found.push(this.finding([...top.r.chars, ...bottom.chars], union(top.box, read[below].box), 2, 'detected'));
    }
    for (const [i, l] of read.entries()) {
      if (!used.has(i) && [...l.r.text].length >= 6) found.push(this.finding(l.r.chars, l.box, 1, 'detected'));
    }
    if (!found.some((f) => f.valid)) found.push(...whole, ...(await this.doubleRow(image, W, H)));
    return this.coloured(image, found, W, H);
  }

  private async coloured(image: Buffer, found: PlateFinding[], W: number, H: number): Promise<PlateFinding[]> {
    await Promise.all(found.map(async (f) => (f.colour = await colourOf(image, f.box, W, H))));
    return found.sort((a, b) => Number(b.valid) - Number(a.valid) || b.score - a.score);
  }

  /** A tight crop of a single-row plate (its shape says so), read as it is. */
  private async singleRow(image: Buffer, W: number, H: number): Promise<PlateFinding[]> {
    const aspect = W / Math.max(1, H);
    if (aspect < 1.8 || aspect > 7) return [];
    const r = await this.reader.read(image);
    return [...r.text].length >= 6 ? [this.finding(r.chars, [0, 0, W, H], 1, 'whole_image')] : [];
  }

  /** A tight crop of a double-row plate (GA 36: 440×220 mm) where detection found no lines: the top row is about the upper 40%. */
  private async doubleRow(image: Buffer, W: number, H: number): Promise<PlateFinding[]> {
    const aspect = W / Math.max(1, H);
    if (aspect < 1.2 || aspect > 2.8) return [];
    const split = Math.round(H * 0.4);
    const top = await this.reader.read(
      await crop(image, [Math.round(W * 0.15), 0, Math.round(W * 0.7), split], W, H, 0),
    );
    const bottom = await this.reader.read(await crop(image, [0, split, W, H - split], W, H, 0), 2);
    const chars = [...top.chars.slice(0, 2), ...bottom.chars];
    return chars.length >= 6 ? [this.finding(chars, [0, 0, W, H], 2, 'whole_image')] : [];
  }

  private describe(text: string): Pick<PlateFinding, 'text' | 'valid' | 'kind'> {
    const p = parsePlate(text);
    return p.ok ? { text: p.value.text, valid: true, kind: p.value.kind } : { text, valid: false };
  }

  private finding(chars: PlateReading['chars'], box: Box, rows: 1 | 2, source: PlateFinding['source']): PlateFinding {
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const ps = chars.map((c) => c.p);
    return {
      ...this.describe(chars.map((c) => c.ch).join('')),
      rows,
      colour: 'unknown',
      score: r3(ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0),
      confidence: r3(ps.length ? Math.min(...ps) : 0),
      uncertain: ps.flatMap((p, i) => (p < UNCERTAIN_BELOW ? [i] : [])),
      box,
      source,
    };
  }
}

/** The box with a margin of a fifth of its height (the recogniser wants some background around the text). */
async function crop(image: Buffer, b: Box, W: number, H: number, marginOf = 0.2): Promise<Buffer> {
  const m = Math.round(b[3] * marginOf);
  const x0 = Math.max(0, b[0] - m);
  const y0 = Math.max(0, b[1] - m);
  const x1 = Math.min(W, b[0] + b[2] + m);
  const y1 = Math.min(H, b[1] + b[3] + m);
  return sharp(image)
    .extract({ left: x0, top: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) })
    .png()
    .toBuffer();
}

/** The plate's background colour: the most common hue family among its pixels. */
async function colourOf(image: Buffer, b: Box, W: number, H: number): Promise<PlateColour | 'unknown'> {
  const { data, info } = await sharp(await crop(image, b, W, H, 0))
    .removeAlpha()
    .resize(48, 16, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const votes: Record<string, number> = {};
  for (let i = 0; i < info.width * info.height; i++) {
    const [r, g, bl] = [data[i * 3] / 255, data[i * 3 + 1] / 255, data[i * 3 + 2] / 255];
    const max = Math.max(r, g, bl);
    const min = Math.min(r, g, bl);
    const s = max ? (max - min) / max : 0;
    let c: string;
    if (s < 0.25) c = max > 0.7 ? 'white' : max < 0.3 ? 'black' : 'grey';
    else {
      const d = max - min;
      const hue =
        max === r
          ? (60 * ((g - bl) / d) + 360) % 360
          : max === g
            ? 60 * ((bl - r) / d) + 120
            : 60 * ((r - g) / d) + 240;
      c =
        hue >= 175 && hue < 260
          ? 'blue'
          : hue >= 35 && hue < 70
            ? 'yellow'
            : hue >= 70 && hue < 175
              ? 'green'
              : 'other';
    }
    votes[c] = (votes[c] ?? 0) + 1;
  }
  // Characters are white or black on a coloured plate: colour wins when it has a fair share.
  const coloured = (['blue', 'yellow', 'green'] as const)
    .map((c) => [c, votes[c] ?? 0] as const)
    .sort((a, b) => b[1] - a[1])[0];
  const n = info.width * info.height;
  if (coloured[1] > 0.3 * n) return coloured[0];
  if ((votes.white ?? 0) > 0.4 * n) return 'white';
  if ((votes.black ?? 0) > 0.4 * n) return 'black';
  return 'unknown';
}
