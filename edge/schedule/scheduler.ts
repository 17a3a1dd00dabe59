import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Actuators } from '../actuators.ts';
import type { ScheduleConfig } from '../config/schema.ts';

export interface SchedulerOptions {
  schedules: ScheduleConfig[];
  actuators: Actuators;
  isQuiet: () => boolean;
  timezone?: string;
  logger?: Logger;
  /** Told each time a window opens (for reporting). */
  onWindow?: (name: string, localActions: string[]) => void;
}

/**
 * Time windows (必管时段, the weekly roll-call): at each cron start the window's light mode runs
 * for its duration and its broadcast plays, then again every `everyMin` until the window ends.
 */
export class Scheduler {
  private jobs: Cron[] = [];
  private readonly repeats = new Set<NodeJS.Timeout>();

  constructor(private readonly o: SchedulerOptions) {}

  start(): void {
    this.jobs = this.o.schedules.map(
      (s) => new Cron(s.cron, { timezone: this.o.timezone, name: s.name }, () => void this.open(s)),
    );
  }

  stop(): void {
    for (const j of this.jobs) j.stop();
    this.jobs = [];
    for (const t of this.repeats) clearTimeout(t);
    this.repeats.clear();
  }

  /** When each window opens next (for status pages and tests). */
  nextRuns(): Array<{ name: string; next: Date | null }> {
    return this.jobs.map((j) => ({ name: j.name ?? '', next: j.nextRun() }));
  }

  /** Open a window now, as its cron would. */
  async open(s: ScheduleConfig): Promise<string[]> {
    const durationMs = s.durationMin * 60_000;
    const voice = s.broadcast ? { clip: s.broadcast.clip, times: s.broadcast.times } : undefined;
    const light = s.light ? { ...s.light, durationS: s.light.durationS ?? s.durationMin * 60 } : undefined;
    const done = await this.o.actuators.perform({ light, voice }, { quiet: this.o.isQuiet() });
    this.o.logger?.info({ schedule: s.name, localActions: done }, 'schedule window opened');
    this.o.onWindow?.(s.name, done);
    const every = s.broadcast?.everyMin;
    if (voice && every) {
      const end = Date.now() + durationMs;
      const again = () => {
        if (Date.now() + every * 60_000 > end) return;
        const t = setTimeout(() => {
          this.repeats.delete(t);
          void this.o.actuators.perform({ voice }, { quiet: this.o.isQuiet() }).then(again);
        }, every * 60_000);
        t.unref();
        this.repeats.add(t);
      };
      again();
    }
    return done;
  }
}
