import type { LightChannelHealth } from '../../protocols/index.ts';
import type { HealthState } from '../health.ts';

export interface FlashPattern {
  /** Full on+off cycle. Strobes at crossings run 500–1000 ms. */
  periodMs: number;
  /** Fraction of the period the lamp is lit, 0.05–0.95. */
  duty: number;
}

export const DEFAULT_FLASH: FlashPattern = { periodMs: 1000, duty: 0.5 };

export interface LightCommand {
  /** 1-based channels; all channels when omitted. */
  channels?: number[];
  /** Return to off after this long; steady until told otherwise when omitted. */
  durationMs?: number;
}

/**
 * A warning light controller with numbered lamp channels. Commands resolve once the controller
 * confirmed them; `readLamps` reads back what the lamps really do, so a burnt lamp shows up.
 * `health` emits 'change' when the controller goes offline, degrades or recovers.
 */
export interface WarningLight {
  readonly name: string;
  readonly channelCount: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  on(cmd?: LightCommand): Promise<void>;
  off(cmd?: LightCommand): Promise<void>;
  flash(cmd?: LightCommand & Partial<FlashPattern>): Promise<void>;
  readLamps(): Promise<LightChannelHealth[]>;
  readonly health: HealthState;
}

export function resolveChannels(channels: number[] | undefined, count: number): number[] {
  const all = Array.from({ length: count }, (_, i) => i + 1);
  if (!channels) return all;
  for (const c of channels) {
    if (!Number.isInteger(c) || c < 1 || c > count) throw new RangeError(`light channel ${c} is outside 1–${count}`);
  }
  return channels;
}

export function checkPattern(p: Partial<FlashPattern>): FlashPattern {
  const periodMs = p.periodMs ?? DEFAULT_FLASH.periodMs;
  const duty = p.duty ?? DEFAULT_FLASH.duty;
  if (!(periodMs >= 100 && periodMs <= 10_000))
    throw new RangeError(`flash period ${periodMs} ms is outside 100–10000`);
  if (!(duty >= 0.05 && duty <= 0.95)) throw new RangeError(`flash duty ${duty} is outside 0.05–0.95`);
  return { periodMs, duty };
}
