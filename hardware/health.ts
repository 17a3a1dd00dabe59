import { EventEmitter } from 'node:events';
import type { DriverHealth } from '../protocols/index.ts';
import { errorInfo } from './errors.ts';

/**
 * Health of one driver: ok, degraded (answers, but something is wrong) or offline. Emits
 * 'change' only when the state or error code changes, so telemetry-on-change stays quiet.
 */
export class HealthState extends EventEmitter {
  private current: DriverHealth = { state: 'offline', error: { code: 'not_ready', message: 'not started' } };

  constructor(private readonly now: () => Date = () => new Date()) {
    super();
  }

  get value(): DriverHealth {
    return this.current;
  }

  ok(): void {
    this.set({ state: 'ok' });
  }

  degraded(e: unknown): void {
    this.set({ state: 'degraded', error: errorInfo(e) });
  }

  offline(e: unknown): void {
    this.set({ state: 'offline', error: errorInfo(e) });
  }

  private set(next: DriverHealth): void {
    const prev = this.current;
    if (prev.state === next.state && prev.error?.code === next.error?.code) return;
    this.current = { ...next, since: this.now().toISOString() };
    this.emit('change', this.current, prev);
  }
}
