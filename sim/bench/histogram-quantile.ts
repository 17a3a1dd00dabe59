import type { Histogram } from 'prom-client';

/**
 * A quantile of a prom-client histogram, estimated from its cumulative buckets (linear within a
 * bucket), over the series whose labels include `labels`; in the histogram's unit.
 */
export async function quantileOf(
  h: Histogram<string>,
  q: number,
  labels: Record<string, string> = {},
): Promise<{ value: number; count: number }> {
  const { values } = await h.get();
  const mine = values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  // Cumulative counts per upper bound, summed over the matching series.
  const cumulative = new Map<number, number>();
  for (const v of mine) {
    if (!v.metricName?.endsWith('_bucket')) continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    cumulative.set(le, (cumulative.get(le) ?? 0) + v.value);
  }
  const total = cumulative.get(Infinity) ?? 0;
  if (!total) return { value: 0, count: 0 };
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, n] of [...cumulative].sort((a, b) => a[0] - b[0])) {
    if (n >= rank)
      return {
        value: Number.isFinite(le) ? lower + ((le - lower) * (rank - below)) / Math.max(1, n - below) : lower,
        count: total,
      };
    lower = le;
    below = n;
  }
  return { value: lower, count: total };
}
