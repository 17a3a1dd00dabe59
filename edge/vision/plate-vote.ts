import { parsePlate } from '../../protocols/index.ts';
import { certainty, type PlateFinding } from './plate-finder.ts';

/** How many other characters a read's leftover probability is taken to spread over. */
const ALTERNATIVES = 20;
const clip = (p: number) => Math.min(0.999, Math.max(0.001, p));

/**
 * One plate from a vehicle's reads across the frames of its pass, so that no single bad frame
 * decides it: the reads of the most common length (valid plates first), each position decided by
 * every read's word on it — a read gives its character its probability and every other one an
 * even share of the rest, the words multiply across frames — with the position's probability the
 * result. Three sure reads of 赣 outweigh a blurred frame's unsure 鄂; two reads that disagree
 * leave the position unsure. The frame of the surest read lends its box and colour.
 */
export function votePlate(reads: PlateFinding[]): PlateFinding | undefined {
  // A read whose text and probabilities do not line up cannot vote position by position.
  const usable = reads.filter((r) => [...r.text].length === r.probabilities.length);
  const valid = usable.filter((r) => r.valid);
  const pool = valid.length ? valid : usable;
  if (!pool.length) return undefined;
  const byLength = new Map<number, PlateFinding[]>();
  for (const r of pool) byLength.set(r.probabilities.length, [...(byLength.get(r.probabilities.length) ?? []), r]);
  const group = [...byLength.values()].sort((a, b) => b.length - a.length)[0]!;
  if (group.length === 1) return group[0];
  const chars = group.map((r) => [...r.text]);
  const positions = group[0]!.probabilities.map((_, i) => {
    const candidates = [...new Set(chars.map((c) => c[i]!))];
    const logScore = candidates.map((c) =>
      group.reduce((s, r, k) => {
        const p = clip(r.probabilities[i]!);
        return s + Math.log(chars[k]![i] === c ? p : (1 - p) / ALTERNATIVES);
      }, 0),
    );
    const top = Math.max(...logScore);
    const weights = logScore.map((l) => Math.exp(l - top));
    const best = logScore.indexOf(top);
    return { ch: candidates[best]!, p: weights[best]! / weights.reduce((a, b) => a + b, 0) };
  });
  const text = positions.map((x) => x.ch).join('');
  const parsed = parsePlate(text);
  const surest = [...group].sort((a, b) => b.confidence - a.confidence)[0]!;
  return {
    ...surest,
    text: parsed.ok ? parsed.value.text : text,
    valid: parsed.ok,
    kind: parsed.ok ? parsed.value.kind : undefined,
    ...certainty(positions.map((x) => x.p)),
  };
}
