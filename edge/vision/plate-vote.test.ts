import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SHARED_SCENES } from '../../sim/vision/scene-labels.ts';
import { PlateFinder, type PlateFinding } from './plate-finder.ts';
import { votePlate } from './plate-vote.ts';

const read = (text: string, probabilities: number[]): PlateFinding => ({
  text,
  valid: true,
  kind: 'ordinary',
  rows: 1,
  colour: 'blue',
  score: probabilities.reduce((a, b) => a + b, 0) / probabilities.length,
  confidence: Math.min(...probabilities),
  uncertain: [],
  probabilities,
  box: [0, 0, 10, 5],
  source: 'detected',
});
const sure = [1, 1, 1, 1, 1, 1, 1];

describe('one plate from the reads of a vehicle’s pass', () => {
  it('lets sure reads outweigh an unsure one, and leaves a position unsure where two reads disagree', () => {
    const v = votePlate([
      read('赣A82F36', sure),
      read('鄂A82F36', [0.654, 1, 1, 1, 1, 1, 1]),
      read('赣A82F36', [0.99, 1, 1, 1, 1, 1, 0.98]),
    ])!;
    expect(v).toMatchObject({ text: '赣A82F36', valid: true, uncertain: [] });
    expect(v.probabilities[0]).toBeGreaterThan(0.99);
    const split = votePlate([read('湘ATL269', [0.9, 1, 1, 1, 1, 1, 1]), read('浙ATL269', [0.8, 1, 1, 1, 1, 1, 1])])!;
    expect(split.text).toBe('湘ATL269');
    expect(split.uncertain).toEqual([0]);
    // A valid read wins over invalid ones; reads of another length (a character lost) do not vote.
    expect(
      votePlate([
        { ...read('鲁PA1234', sure), valid: false, text: '鲁PA12', probabilities: [1, 1, 1, 1, 1] },
        read('鲁PA1234', sure),
      ])?.text,
    ).toBe('鲁PA1234');
    expect(votePlate([])).toBeUndefined();
  });

  it.skipIf(!existsSync(SHARED_SCENES))(
    'reads 赣A82F36 from frames of a real scene shifted as the car moves, one blurred, whichever frame comes first (skipped without ../shared)',
    { timeout: 60_000 },
    async () => {
      const finder = await PlateFinder.load();
      const image = readFileSync(join(SHARED_SCENES, 'scene-31.jpg'));
      const { width: W, height: H } = await sharp(image).metadata();
      const [w, h] = [Math.round(W! * 0.8), Math.round(H! * 0.8)];
      const reads: PlateFinding[] = [];
      for (let i = 0; i < 4; i++) {
        const left = Math.round((W! - w) * (i / 3));
        const top = Math.round((H! - h) * (i / 3));
        let frame = await sharp(image).extract({ left, top, width: w, height: h }).jpeg().toBuffer();
        if (i === 2) frame = await sharp(frame).blur(4).jpeg().toBuffer();
        // The white car's plate, whatever its province was read as.
        const found = (await finder.find(frame)).filter((f) => f.valid && f.text.endsWith('82F36'));
        reads.push(...found);
      }
      // The blurred frame alone reads another province, unsure: it must not decide.
      expect(reads.map((r) => r.text)).toContain('赣A82F36');
      expect(reads.find((r) => r.text !== '赣A82F36')?.uncertain).toContain(0);
      for (const order of [reads, [...reads].reverse()]) {
        const v = votePlate(order)!;
        expect(v).toMatchObject({ text: '赣A82F36', valid: true });
        expect(v.uncertain).toEqual([]);
      }
    },
  );
});
