import type { LightMode } from '../../protocols/index.ts';
import { checkPattern, resolveChannels, type FlashPattern, type LightCommand } from './light.ts';

/** Why the outputs are being written: a command (await it) or a flash edge (timer-driven). */
export type ApplyReason = 'command' | 'flash_on' | 'flash_off';

/**
 * What each channel of a light should do now — off, on, or flashing on one shared phase — and
 * the timers that make it so (flash edges, "off after N seconds"). Drivers only turn the
 * resulting on/off vector into their wire protocol, so every light flashes the same way.
 */
export class LightProgram {
  readonly modes: LightMode[];
  pattern: FlashPattern = checkPattern({});
  private flashStart = 0;
  private flashTimer: NodeJS.Timeout | undefined;
  private readonly durationTimers = new Map<number, NodeJS.Timeout>();
  private lastApplied: boolean[] | undefined;

  constructor(
    readonly channelCount: number,
    private readonly apply: (bits: boolean[], reason: ApplyReason) => Promise<void>,
    private readonly onFlashError: (e: unknown) => void = () => undefined,
  ) {
    this.modes = Array(channelCount).fill('off');
  }

  async set(mode: LightMode, cmd: LightCommand = {}): Promise<void> {
    const channels = resolveChannels(cmd.channels, this.channelCount);
    for (const c of channels) {
      this.modes[c - 1] = mode;
      clearTimeout(this.durationTimers.get(c));
      this.durationTimers.delete(c);
      if (cmd.durationMs !== undefined && mode !== 'off') {
        const t = setTimeout(() => void this.set('off', { channels: [c] }).catch(this.onFlashError), cmd.durationMs);
        t.unref();
        this.durationTimers.set(c, t);
      }
    }
    if (this.modes.includes('flash')) this.ensureFlashLoop();
    else this.stopFlashLoop();
    return this.applyNow('command');
  }

  async flash(cmd: LightCommand & Partial<FlashPattern> = {}): Promise<void> {
    const pattern = checkPattern({
      periodMs: cmd.periodMs ?? this.pattern.periodMs,
      duty: cmd.duty ?? this.pattern.duty,
    });
    const changed = pattern.periodMs !== this.pattern.periodMs || pattern.duty !== this.pattern.duty;
    this.pattern = pattern;
    if (changed || !this.flashTimer) this.flashStart = performance.now();
    return this.set('flash', cmd);
  }

  /** On/off per channel for this instant. */
  bits(now = performance.now()): boolean[] {
    const lit = this.phaseLit(now);
    return this.modes.map((m) => m === 'on' || (m === 'flash' && lit));
  }

  /** Write the current state again (after a reconnect the controller may have lost it). */
  reapply(): Promise<void> {
    return this.applyNow('command');
  }

  /** Stop all timers; modes stay as they are. */
  halt(): void {
    this.stopFlashLoop();
    for (const t of this.durationTimers.values()) clearTimeout(t);
    this.durationTimers.clear();
  }

  private applyNow(reason: ApplyReason, now?: number): Promise<void> {
    const bits = this.bits(now);
    this.lastApplied = bits;
    return this.apply(bits, reason);
  }

  private phaseLit(now: number): boolean {
    return (now - this.flashStart) % this.pattern.periodMs < this.pattern.periodMs * this.pattern.duty;
  }

  private ensureFlashLoop(): void {
    if (this.flashTimer) return;
    const tick = () => {
      const now = performance.now();
      const { periodMs, duty } = this.pattern;
      const t = (now - this.flashStart) % periodMs;
      const lit = t < periodMs * duty;
      // The next edge is measured from the flash start, so timer lateness never accumulates.
      this.flashTimer = setTimeout(tick, Math.max(1, lit ? periodMs * duty - t : periodMs - t));
      const bits = this.bits(now);
      if (this.lastApplied && bits.every((b, i) => b === this.lastApplied![i])) return;
      this.applyNow(lit ? 'flash_on' : 'flash_off', now).catch(this.onFlashError);
    };
    this.flashTimer = setTimeout(tick, 0);
  }

  private stopFlashLoop(): void {
    clearTimeout(this.flashTimer);
    this.flashTimer = undefined;
  }
}

/** The verbs every light shares, given a LightProgram; drivers add only their wire protocol. */
export abstract class ProgrammedLight {
  protected abstract readonly program: LightProgram;

  on(cmd: LightCommand = {}): Promise<void> {
    return this.program.set('on', cmd);
  }

  off(cmd: LightCommand = {}): Promise<void> {
    return this.program.set('off', cmd);
  }

  flash(cmd: LightCommand & Partial<FlashPattern> = {}): Promise<void> {
    return this.program.flash(cmd);
  }
}
