/**
 * Debounces a noisy digital input: a new level counts only after it held for `holdMs`.
 * Also notices an input stuck in the active state (a failed loop detector, a parked car).
 */
export class Debouncer {
  private stable = false;
  private candidate: { level: boolean; timer: NodeJS.Timeout } | undefined;
  private stuckTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly holdMs: number,
    private readonly onChange: (level: boolean) => void,
    private readonly stuckAfterMs = 0,
    private readonly onStuck: (stuck: boolean) => void = () => undefined,
  ) {}

  get level(): boolean {
    return this.stable;
  }

  input(level: boolean): void {
    if (this.candidate) {
      clearTimeout(this.candidate.timer);
      this.candidate = undefined;
    }
    if (level === this.stable) return;
    if (this.holdMs <= 0) return this.commit(level);
    const timer = setTimeout(() => {
      this.candidate = undefined;
      this.commit(level);
    }, this.holdMs);
    timer.unref();
    this.candidate = { level, timer };
  }

  stop(): void {
    if (this.candidate) clearTimeout(this.candidate.timer);
    clearTimeout(this.stuckTimer);
  }

  private commit(level: boolean): void {
    this.stable = level;
    clearTimeout(this.stuckTimer);
    if (level && this.stuckAfterMs > 0) {
      this.stuckTimer = setTimeout(() => this.onStuck(true), this.stuckAfterMs);
      this.stuckTimer.unref();
    } else if (!level) this.onStuck(false);
    this.onChange(level);
  }
}
