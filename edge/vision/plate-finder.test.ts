import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../../sim/vision/synthetic-plate.ts';
import { PlateFinder, UNCERTAIN_BELOW, UNCERTAIN_PROVINCE_BELOW } from './plate-finder.ts';
import { iou } from './decoders/yolo.ts';

const PLATES = fileURLToPath(new URL('../../../shared/fixtures/plates', import.meta.url));
const font = haveCjkFont();
if (!font)
  console.warn(
    'plate-finder tests on synthetic plates skipped: no CJK font (apt-get install fonts-wqy-zenhei; .ci/run does)',
  );

describe('PlateFinder: PP-OCR detection + recognition, single and double-row plates', { timeout: 60_000 }, () => {
  let finder: PlateFinder;
  beforeAll(async () => {
    finder = await PlateFinder.load();
  });

  it.skipIf(!font)('finds and reads blue single-row plates in a 1280×720 frame, where they are', async () => {
    for (const [text, x, y, width] of [
      ['鲁PA1234', 500, 420, 220],
      ['鲁PB7Z21', 80, 560, 180],
      ['鲁P5C60K', 900, 300, 260],
    ] as const) {
      const scene = await sceneWithPlate(await renderPlate({ text }), { x, y, plateWidth: width });
      const [best] = await finder.find(scene);
      expect(best, text).toMatchObject({
        text,
        valid: true,
        kind: 'ordinary',
        rows: 1,
        colour: 'blue',
        source: 'detected',
      });
      const h = Math.round((width * 140) / 440);
      expect(iou(best.box, [x, y, width, h]), `${text} box ${best.box}`).toBeGreaterThan(0.4);
    }
  });

  it.skipIf(!font)(
    'reads yellow double-row plates (tricycles, farm vehicles) as one plate: province + letter above, five below',
    async () => {
      for (const text of ['鲁P12345', '鲁P80523']) {
        const plate = await renderPlate({ text, rows: 2 });
        const [inScene] = await finder.find(await sceneWithPlate(plate, { x: 600, y: 380, plateWidth: 200 }));
        expect(inScene, text).toMatchObject({ text, valid: true, rows: 2, colour: 'yellow', source: 'detected' });
        const [crop] = await finder.find(plate);
        expect(crop, text).toMatchObject({ text, valid: true, rows: 2, colour: 'yellow' });
      }
    },
  );

  it.skipIf(!font)('reads a tight crop whole, and finds nothing on an empty road', async () => {
    const [crop] = await finder.find(await renderPlate({ text: '鲁PD2836' }));
    expect(crop).toMatchObject({ text: '鲁PD2836', source: 'whole_image', valid: true });
    const road = await sharp({
      create: { width: 1280, height: 720, channels: 3, background: { r: 96, g: 100, b: 104 } },
    })
      .jpeg()
      .toBuffer();
    expect(await finder.find(road)).toEqual([]);
  });

  it('refuses what is not an image with an error, not a crash', async () => {
    await expect(finder.find(Buffer.from('not a jpeg'))).rejects.toThrow();
  });

  it.skipIf(!existsSync(PLATES))(
    'reads 61 of the 62 real crops in ../shared/fixtures/plates, and sees them blue (skipped without them)',
    async () => {
      let exact = 0;
      let blue = 0;
      let leads = 0;
      for (const f of readdirSync(PLATES).filter((x) => x.endsWith('.jpg'))) {
        const [best] = await finder.find(readFileSync(`${PLATES}/${f}`));
        if (best?.text === f.replace(/\.jpg$/, '')) exact++;
        if (best?.colour === 'blue') blue++;
        if (best?.uncertain.length) leads++;
        // What says a character is unsure is the character's own probability, by its position.
        best?.uncertain.forEach((i) =>
          expect(best.probabilities[i]).toBeLessThan(i === 0 ? UNCERTAIN_PROVINCE_BELOW : UNCERTAIN_BELOW),
        );
        expect(best?.confidence).toBe(Math.min(...(best?.probabilities ?? [0])));
      }
      expect(exact).toBeGreaterThanOrEqual(61);
      expect(blue).toBeGreaterThanOrEqual(60);
      // Sharp crops are mostly read sure: a threshold that made most of them leads would be useless.
      expect(leads).toBeLessThanOrEqual(4);
    },
  );
});
