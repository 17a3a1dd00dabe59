import type { HealthState } from '../health.ts';

export interface PlayOptions {
  /** Play the clip this many times in a row (a warning is usually said two or three times). */
  times?: number;
  volume?: number;
}

export interface SpeakerState {
  playing: boolean;
  volume: number;
  clip?: number;
}

/** A village loudspeaker behind a clip player: clips are numbered tracks on the player's card. */
export interface Loudspeaker {
  readonly name: string;
  readonly health: HealthState;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the player confirmed it started the clip. */
  play(clip: number, opts?: PlayOptions): Promise<void>;
  /** Stop whatever is playing. */
  silence(): Promise<void>;
  setVolume(volume: number): Promise<void>;
  state(): Promise<SpeakerState>;
}
