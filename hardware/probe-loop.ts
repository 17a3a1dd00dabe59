/**
 * While a device is offline but its port is open (the controller lost power, the cable is cut
 * behind the adapter), nothing else would notice it come back: probe it on a timer.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly intervalMs: number,
    private readonly due: () => boolean,
    private readonly probe: () => Promise<void>,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.busy || !this.due()) return;
      this.busy = true;
      void this.probe().finally(() => (this.busy = false));
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
