import type { Logger } from 'pino';
import type { AlarmKind } from '../../protocols/index.ts';
import type { Actuators } from '../actuators.ts';
import type { RuleConfig } from '../config/schema.ts';

export interface Firing {
  rule: string;
  localActions: string[];
  report?: RuleConfig['report'];
}

export interface RuleEngineOptions {
  rules: RuleConfig[];
  actuators: Actuators;
  isQuiet: () => boolean;
  now?: () => number;
  logger?: Logger;
}

/**
 * Local rules: trigger → lights and voice, at once and with no network. A rule that fired stays
 * quiet for its cooldown so one vehicle, or one incident seen over many frames, warns once.
 */
export class RuleEngine {
  private readonly lastFired = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: RuleEngineOptions) {
    this.now = o.now ?? Date.now;
  }

  onSensor(sensor: string): Promise<Firing[]> {
    return this.fire((r) => 'sensor' in r.trigger && r.trigger.sensor === sensor);
  }

  onEvent(kind: AlarmKind): Promise<Firing[]> {
    return this.fire((r) => 'event' in r.trigger && r.trigger.event === kind);
  }

  private async fire(match: (r: RuleConfig) => boolean): Promise<Firing[]> {
    const now = this.now();
    const due = this.o.rules.filter((r) => match(r) && !this.cooling(r, now));
    for (const r of due) this.lastFired.set(r.name, now);
    const quiet = this.o.isQuiet();
    return Promise.all(
      due.map(async (r) => {
        const localActions = await this.o.actuators.perform(r, { quiet });
        this.o.logger?.info({ rule: r.name, localActions }, 'rule fired');
        return { rule: r.name, localActions, report: r.report };
      }),
    );
  }

  private cooling(r: RuleConfig, now: number): boolean {
    const last = this.lastFired.get(r.name);
    return last !== undefined && now - last < (r.cooldownS ?? 0) * 1000;
  }
}
