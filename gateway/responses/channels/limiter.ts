/**
 * At most `width` tasks at once; the rest wait in order. A channel uses one so a burst of alarms
 * opens a handful of connections to a receiver, not thousands (which time out and retry, and
 * starve the gateway's own event loop).
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly width: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.width) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
