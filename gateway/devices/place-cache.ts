import type { Logger } from 'pino';
import { every } from '../periodic.ts';
import type { DeviceStore } from './device-store.ts';

export type Place = { village: string | null; township: string | null };

/**
 * Every box's village and township in memory, for the checks the broker makes on each message it
 * forwards (aedes asks synchronously, and a database round trip per message would cost a county
 * screen its live view). Reloaded every `everyMs`, so a place changed by the CLI or another worker
 * takes effect within that; this process's own changes take effect at once (`note`).
 */
export class PlaceCache {
  private places = new Map<string, Place>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: DeviceStore,
    private readonly everyMs = 2000,
    private readonly log?: Logger,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    this.timer = every(this.everyMs, 'box place reload', () => this.reload(), this.log);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A box's place, or undefined for a box the registry does not know. */
  get(id: string): Place | undefined {
    return this.places.get(id);
  }

  /** A place this process just wrote (fields not given are kept). */
  note(id: string, p: Partial<Place>): void {
    const was = this.places.get(id);
    this.places.set(id, { village: p.village ?? was?.village ?? null, township: p.township ?? was?.township ?? null });
  }

  async reload(): Promise<void> {
    const next = new Map<string, Place>();
    for (const r of await this.registry.places()) next.set(r.id, { village: r.village, township: r.township });
    this.places = next;
  }
}
