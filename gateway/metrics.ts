import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The gateway's Prometheus registry (prom-client). Each module registers its own metrics on it;
 * `/metrics` serves it. A registry per gateway, not prom-client's global one, so two gateways in
 * one process (tests, benches) keep their figures apart.
 */
export type Metrics = Registry;
export function createMetrics(): Metrics {
  const m = new Registry();
  // Process figures (memory, CPU, event-loop lag) beside ours, read when scraped.
  collectDefaultMetrics({ register: m, prefix: 'rw_' });
  return m;
}

/** A module started again (intake after a reconnect) registers afresh: the newest owns the name. */
function fresh(m: Metrics, name: string): Metrics {
  if (m.getSingleMetric(name)) m.removeSingleMetric(name);
  return m;
}

/** Latency buckets in seconds, from 1 ms to 10 s: an alarm's path is milliseconds, a slow channel seconds. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A counter a module already keeps as a plain number (read when scraped). */
export function counterOf(m: Metrics, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [fresh(m, name)],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge read when scraped (devices online, cases open). */
export function gaugeOf(m: Metrics, name: string, help: string, read: () => number | Promise<number>): void {
  new Gauge({
    name,
    help,
    registers: [fresh(m, name)],
    async collect() {
      this.set(await read());
    },
  });
}

export function latency<L extends string = never>(
  m: Metrics,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Histogram<L> {
  return new Histogram<L>({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [fresh(m, name)] });
}

/** Seconds since `t0` (from performance.now()). */
export const secondsSince = (t0: number): number => (performance.now() - t0) / 1000;
