import sharp from 'sharp';
import { parsePlate, type PlateColour, type PlateKind } from '../../protocols/index.ts';
import { PlateReader, type PlateReading } from './plate-reader.ts';
import { TextDetector, type Box } from './text-detector.ts';
import type { ModelEntry } from './models/manifest.ts';
import { type NotAPlate, whyNotAPlate } from './not-a-plate.ts';

/**
 * A character read with less probability than this is uncertain, and its plate a lead, not an
 * identity; the province character needs more, as the recogniser confuses provinces most (湘 read
 * as 鄂 with 0.94, as 浙 or 豫 with 0.7–0.83). Calibrated on the scenes and the 62 crops
 * (docs/vision.md): with these, none of the 8 wrong reads of the scenes is sure; 13 of the 40 right
 * ones are leads (a character unsure), and 3 of the 62 crops.
 */
export const UNCERTAIN_BELOW = 0.9;
export const UNCERTAIN_PROVINCE_BELOW = 0.95;

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** How sure a plate is, from each character's probability: mean, weakest, the unsure positions. */
export function certainty(ps: number[]): Pick<PlateFinding, 'score' | 'confidence' | 'uncertain' | 'probabilities'> {
  return {
    score: r3(ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0),
    confidence: r3(ps.length ? Math.min(...ps) : 0),
    uncertain: ps.flatMap((p, i) => (p < (i === 0 ? UNCERTAIN_PROVINCE_BELOW : UNCERTAIN_BELOW) ? [i] : [])),
    probabilities: ps.map(r3),
  };
}

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
  /** Positions (0-based) of characters read unsure (UNCERTAIN_BELOW): the plate is a lead, not an identity. */
  uncertain: number[];
  /** Each character's probability, in order. */
  probabilities: number[];
  box: Box;
  /** Found by text detection, or the whole image read as one plate (a tight crop). */
  source: 'detected' | 'whole_image';
  /** Why the text is no valid plate (only when `valid` is false). */
  notPlate?: { code: NotAPlate; why: string };
}

const union = (a: Box, b: Box): Box => {
  const x0 = Math.min(a[0], b[0]);
  const y0 = Math.min(a[1], b[1]);
  return [x0, y0, Math.max(a[0] + a[2], b[0] + b[2]) - x0, Math.max(a[1] + a[3], b[1] + b[3]) - y0];
};
const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/** A line of text and the detected boxes it was joined from, left to right. */
interface Line {
  box: Box;
  parts: Box[];
}

/** Text boxes on one line, split at the plate's separator dot, joined back into one line. */
function joinLines(boxes: Box[]): Line[] {
  const lines: Line[] = [];
  for (const b of [...boxes].sort((p, q) => p[0] - q[0])) {
    const same = lines.findIndex(({ box: l }) => {
      const v = overlap(l[1], l[1] + l[3], b[1], b[1] + b[3]) / Math.min(l[3], b[3]);
      const gap = b[0] - (l[0] + l[2]);
      return v > 0.6 && gap < 1.2 * Math.max(l[3], b[3]) && Math.abs(l[3] - b[3]) < 0.4 * Math.max(l[3], b[3]);
    });
    if (same >= 0) lines[same] = { box: union(lines[same]!.box, b), parts: [...lines[same]!.parts, b] };
    else lines.push({ box: b, parts: [b] });
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
    const read = await Promise.all(lines.map((l) => this.readLine(image, l, W, H)));
    const found: PlateFinding[] = [];
    const used = new Set<number>();
    // Double rows: a short top line (province + letter, often found as the province alone, cut
    // apart at the dot, or read as nothing with a margin around it) over a wider line of five;
    // the lower line is read again as serial positions (its first character is not a province),
    // the upper one again across the lower one's width when it did not give two characters.
    for (const [i, top] of read.entries()) {
      const n = [...top.r.text].length;
      if (used.has(i) || n > 3) continue;
      const below = read.findIndex((b, j) => {
        if (j === i || used.has(j)) return false;
        // Below it: starting under its upper third, its middle lower than the top line's bottom
        // (detected boxes of the two rows often overlap), and not a line further down.
        const [, ty, , th] = top.box;
        const [, by, , bh] = b.box;
        return (
          by > ty + 0.3 * th &&
          by + bh / 2 > ty + th &&
          by < ty + th + bh &&
          b.box[2] > top.box[2] &&
          // a line that is a whole plate by itself is no lower row (a sign above a bus's plate)
          !parsePlate(b.r.text).ok &&
          overlap(top.box[0], top.box[0] + top.box[2], b.box[0], b.box[0] + b.box[2]) > 0.5 * top.box[2]
        );
      });
      if (below < 0) continue;
      const lower = read[below].box;
      const row: Box = [lower[0], top.box[1], lower[2], Math.max(4, Math.min(top.box[3], lower[1] - top.box[1]))];
      const upper = n === 2 ? top.r : await this.reader.read(await crop(image, row, W, H));
      if (upper.chars.length < 2) continue;
      used.add(i).add(below);
      const bottom = await this.reader.read(await crop(image, lower, W, H), 2);
      found.push(this.finding([...upper.chars.slice(0, 2), ...bottom.chars], union(top.box, lower), 2, 'detected'));
    }
    for (const [i, l] of read.entries()) {
      if (!used.has(i) && [...l.r.text].length >= 6) found.push(this.finding(l.r.chars, l.box, 1, 'detected'));
    }
    if (!found.some((f) => f.valid)) found.push(...whole, ...(await this.doubleRow(image, W, H)));
    return this.coloured(image, found, W, H);
  }

  /**
   * One line read, with a margin around it and then without; when it is no plate and was joined
   * from several boxes, the plate may be its left part with a sign beside it (营运): the shorter
   * joins are read until one is a plate.
   */
  private async readLine(image: Buffer, l: Line, W: number, H: number): Promise<{ box: Box; r: PlateReading }> {
    const r = await this.reader.read(await crop(image, l.box, W, H));
    const sure = (x: PlateReading) => (x.chars.length ? Math.min(...x.chars.map((c) => c.p)) : 0);
    if (parsePlate(r.text).ok && sure(r) >= UNCERTAIN_BELOW) return { box: l.box, r };
    // Detection's box already holds some background on real plates: with the margin on top, the
    // province and letter can drop out (青A00109D read as 色Q0100), or a night plate blur into
    // other characters. Not a plate, or not sure: read tight too, and keep the surer plate.
    const tight = await this.reader.read(await crop(image, l.box, W, H, 0));
    const plates = [r, tight].filter((x) => parsePlate(x.text).ok).sort((a, b) => sure(b) - sure(a));
    if (plates[0]) return { box: l.box, r: plates[0] };
    for (let k = l.parts.length - 1; k >= 1; k--) {
      const box = l.parts.slice(1, k).reduce(union, l.parts[0]!);
      const part = await this.reader.read(await crop(image, box, W, H));
      if (parsePlate(part.text).ok) return { box, r: part };
    }
    return { box: l.box, r };
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

  private describe(text: string): Pick<PlateFinding, 'text' | 'valid' | 'kind' | 'notPlate'> {
    const p = parsePlate(text);
    return p.ok
      ? { text: p.value.text, valid: true, kind: p.value.kind }
      : { text, valid: false, notPlate: whyNotAPlate(text) };
  }

  private finding(chars: PlateReading['chars'], box: Box, rows: 1 | 2, source: PlateFinding['source']): PlateFinding {
    return {
      ...this.describe(chars.map((c) => c.ch).join('')),
      rows,
      colour: 'unknown',
      ...certainty(chars.map((c) => c.p)),
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
