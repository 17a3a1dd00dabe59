import type { Logger } from 'pino';
import type { CredentialStore } from './credential-store.ts';
import { every } from '../periodic.ts';

/**
 * Makes account changes take effect in the running gateway, whichever process made them (the CLI
 * writes the database directly): it follows `credential_changes`, drops the cached log-in and says
 * so (the broker then ends the account's MQTT connections). Dashboard sessions end in the same
 * transaction as the change.
 */
export class CredentialWatch {
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(
    private readonly creds: CredentialStore,
    /** Told of each change once the cached log-in is dropped (the broker ends the account's connections). */
    private readonly onChange: (c: { username: string; change: string }) => void,
    private readonly everyMs = 500,
    private readonly log?: Logger,
  ) {}

  async start(): Promise<void> {
    this.seq = await this.creds.lastChange();
    this.timer = every(this.everyMs, 'account change watch', () => this.poll(), this.log);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Apply the changes made since the last look. */
  async poll(): Promise<void> {
    try {
      for (const c of await this.creds.changesSince(this.seq)) {
        this.seq = c.seq;
        this.creds.forget(c.username);
        this.log?.info({ username: c.username, change: c.change }, 'account changed');
        this.onChange({ username: c.username, change: c.change });
      }
    } catch (e) {
      this.log?.error({ err: (e as Error).message }, 'could not read account changes');
    }
  }
}
