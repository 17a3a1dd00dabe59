import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { OperatorRole } from '../registry/credentials.ts';
import { isScoped, type Scope } from '../registry/scope.ts';
import type { ApiUser } from './api-tokens.ts';

export const SESSION_COOKIE = 'rw_session';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Dashboard log-ins: a random token in an HttpOnly cookie, only its SHA-256 stored, valid for
 * `hours` after the last use (sliding), so a screen left on in the duty room stays logged in while
 * it is used and a forgotten one expires.
 */
export class Sessions {
  constructor(
    private readonly db: Database.Database,
    private readonly hours = 12,
    private readonly now: () => Date = () => new Date(),
  ) {}

  open(user: ApiUser): { token: string; expiresAt: string } {
    const token = `rws_${randomBytes(32).toString('base64url')}`;
    const expiresAt = this.expiry();
    this.db
      .prepare('INSERT INTO sessions (token_hash, username, role, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(digest(token), user.name, user.role, isScoped(user.scope) ? JSON.stringify(user.scope) : null, this.now().toISOString(), expiresAt);
    return { token, expiresAt };
  }

  check(token: string | undefined): ApiUser | undefined {
    if (!token) return undefined;
    const now = this.now().toISOString();
    const r = this.db.prepare('SELECT username, role, scope, expires_at AS expiresAt FROM sessions WHERE token_hash = ? AND expires_at > ?').get(digest(token), now) as
      | { username: string; role: OperatorRole; scope: string | null; expiresAt: string }
      | undefined;
    if (!r) return undefined;
    // Slide the expiry at most once a minute: a busy page does not write on every request.
    const next = this.expiry();
    if (Date.parse(next) - Date.parse(r.expiresAt) > 60_000) this.db.prepare('UPDATE sessions SET expires_at = ? WHERE token_hash = ?').run(next, digest(token));
    return { name: r.username, role: r.role, ...(r.scope ? { scope: JSON.parse(r.scope) as Scope } : {}) };
  }

  close(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(digest(token));
  }

  /** End every session of a user (password changed, account removed). */
  closeAll(username: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE username = ?').run(username).changes;
  }

  sweep(): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(this.now().toISOString()).changes;
  }

  private expiry(): string {
    return new Date(this.now().getTime() + this.hours * 3_600_000).toISOString();
  }
}

/**
 * Failed log-ins per user name: after `limit` failures within `windowMs`, that name is locked for
 * `lockMs`, whoever tries (password guessing is slowed per account, not per address).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly lockMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this name may try again, or 0. */
  lockedFor(name: string): number {
    const recent = this.recent(name);
    if (recent.length < this.limit) return 0;
    return Math.max(0, recent[recent.length - 1] + this.lockMs - this.now());
  }

  failed(name: string): void {
    this.failures.set(name, [...this.recent(name), this.now()]);
    // Guessing many names must not grow this without bound: names whose failures aged out go.
    if (this.failures.size > 10_000) for (const n of [...this.failures.keys()]) if (!this.recent(n).length) this.failures.delete(n);
  }

  succeeded(name: string): void {
    this.failures.delete(name);
  }

  private recent(name: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(name) ?? []).filter((t) => t > since);
  }
}
