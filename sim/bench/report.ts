/** The bench convention: one JSON object per line on stdout, nothing else there. */
export interface BenchLine {
  bench: string;
  metric: string;
  unit: string;
  median?: number;
  p99?: number;
  n?: number;
  value?: number;
  [extra: string]: unknown;
}

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export function summary(
  bench: string,
  metric: string,
  unit: string,
  samples: number[],
  extra: Record<string, unknown> = {},
): BenchLine {
  const s = [...samples].sort((a, b) => a - b);
  return { bench, metric, unit, median: round(quantile(s, 0.5)), p99: round(quantile(s, 0.99)), n: s.length, ...extra };
}

export function value(
  bench: string,
  metric: string,
  unit: string,
  v: number,
  extra: Record<string, unknown> = {},
): BenchLine {
  return { bench, metric, unit, value: round(v), ...extra };
}

export function emit(line: BenchLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export const rssMb = () => round(process.memoryUsage().rss / 1024 / 1024, 1);
