import type { EventEmitter } from 'node:events';
import type { HealthState } from '../health.ts';

export interface PresenceChange {
  present: boolean;
  at: Date;
}

/**
 * A vehicle/person presence sensor (loop detector, radar, PIR) behind a digital input.
 * Emits 'arrived' and 'left' (PresenceChange), debounced.
 */
export interface PresenceSensor extends EventEmitter {
  readonly name: string;
  readonly health: HealthState;
  readonly present: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}
