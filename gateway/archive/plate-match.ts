import { normalizePlate } from '../../protocols/index.ts';

/** Characters OCR mixes up on plates (PROTOCOLS.md): each group reads as any of its members. */
const GROUPS = ['0DQO', '8B', '6G', '2Z', '5S', '1I'];
const PEERS = new Map<string, string[]>();
for (const g of GROUPS)
  for (const c of g)
    PEERS.set(
      c,
      [...g].filter((x) => x !== c),
    );

export interface PlateMatch {
  plate: string;
  /** 1 exact; 0.85 one known OCR confusion; 0.5 one other character differs. */
  confidence: number;
  reason: string;
}

/** Every plate one known confusion away from `read` (position by position). */
export function confusionVariants(read: string): string[] {
  const chars = [...normalizePlate(read)];
  const out: string[] = [];
  chars.forEach((c, i) => {
    for (const p of PEERS.get(c) ?? []) out.push([...chars.slice(0, i), p, ...chars.slice(i + 1)].join(''));
  });
  return out;
}

/**
 * The archive plate a recognised plate most likely is: exact, else one OCR confusion away, else
 * one other character away (same length). Ties are refused rather than guessed.
 */
export function matchPlate(
  read: string,
  has: (plate: string) => boolean,
  all: () => Iterable<string>,
): PlateMatch | undefined {
  const text = normalizePlate(read);
  if (has(text)) return { plate: text, confidence: 1, reason: 'exact' };
  const near = confusionVariants(text).filter(has);
  if (near.length === 1)
    return { plate: near[0], confidence: 0.85, reason: `one OCR confusion (${diff(text, near[0])})` };
  if (near.length > 1) return undefined;
  const chars = [...text];
  const one = [...all()].filter((p) => {
    const q = [...p];
    return q.length === chars.length && q.filter((c, i) => c !== chars[i]).length === 1;
  });
  return one.length === 1
    ? { plate: one[0], confidence: 0.5, reason: `one character differs (${diff(text, one[0])})` }
    : undefined;
}

function diff(a: string, b: string): string {
  const x = [...a];
  const y = [...b];
  const i = x.findIndex((c, k) => c !== y[k]);
  return `position ${i + 1}: read ${x[i]}, archive ${y[i]}`;
}
