import type { Logger } from 'pino';
import type { Loudspeaker, WarningLight } from '../hardware/index.ts';
import type { LightAction, VoiceAction } from './config/schema.ts';

export interface Action {
  light?: LightAction;
  voice?: VoiceAction;
}

/**
 * The box's outputs. Each is driven on its own: a dead speaker never stops the lights, and the
 * result says what actually happened (it goes into the event as `localActions`).
 */
export class Actuators {
  constructor(
    readonly light: WarningLight | undefined,
    readonly speaker: Loudspeaker | undefined,
    private readonly log?: Logger,
  ) {}

  async perform(a: Action, opts: { quiet?: boolean } = {}): Promise<string[]> {
    // Both start at once; the result lists them in a fixed order (light, then voice).
    const light =
      a.light && this.light
        ? this.setLight(a.light).then(
            () => `light_${a.light!.mode}`,
            (e) => this.fail('light', e),
          )
        : undefined;
    let voice: Promise<string | undefined> | undefined;
    if (a.voice && this.speaker) {
      const v = a.voice;
      voice = opts.quiet
        ? Promise.resolve('voice_muted_quiet_hours')
        : this.speaker.play(v.clip, { times: v.times, volume: v.volume }).then(
            () => `voice_clip_${v.clip}`,
            (e) => this.fail('speaker', e),
          );
    }
    return (await Promise.all([light, voice])).filter((x): x is string => typeof x === 'string');
  }

  /** Put the light in a mode; rejects if the controller did not confirm (commands report that). */
  setLight(l: LightAction): Promise<void> {
    if (!this.light)
      return Promise.reject(Object.assign(new Error('this box has no light'), { code: 'no_such_device' }));
    const cmd = { channels: l.channels, durationMs: l.durationS !== undefined ? l.durationS * 1000 : undefined };
    if (l.mode === 'flash') return this.light.flash({ ...cmd, periodMs: l.periodMs, duty: l.duty });
    return l.mode === 'on' ? this.light.on(cmd) : this.light.off(cmd);
  }

  private fail(what: string, e: unknown): undefined {
    this.log?.warn({ actuator: what, err: (e as Error).message }, 'local warning could not be given on this device');
  }
}
