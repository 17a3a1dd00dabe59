import { createHash, randomBytes } from 'node:crypto';
import type { SqlDatabase } from '../store/sql.ts';
import { isRole } from './policy.ts';
import { parseScope, scopeJson, type Viewer } from './viewer.ts';

export const SESSION_COOKIE = 'rw_session';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Dashboard log-ins: a random token in an HttpOnly cookie, only its SHA-256 stored, valid for
 * `hours` after the last use (sliding), so a screen left on in the duty room stays logged in while
 * it is used and a forgotten one expires.
 */
export class Sessions {
  constructor(
    private readonly sql: SqlDatabase,
    private readonly hours = 12,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async open(user: Viewer): Promise<{ token: string; expiresAt: string }> {
    const token = `rws_${randomBytes(32).toString('base64url')}`;
    const expiresAt = this.expiry();
    await this.sql.run(
      'INSERT INTO sessions (token_hash, username, role, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      [digest(token), user.name, user.role, scopeJson(user.scope), this.now().toISOString(), expiresAt],
    );
    return { token, expiresAt };
  }

  async check(token: string | undefined): Promise<Viewer | undefined> {
    if (!token) return undefined;
    const now = this.now().toISOString();
    // Role and scope come from the account as it is now: a changed or removed account changes its sessions at once.
    const r = await this.sql.get<{ username: string; role: string; scope: string | null; expiresAt: string }>(
      `SELECT s.username, c.role, c.scope, s.expires_at AS "expiresAt" FROM sessions s JOIN credentials c ON c.username = s.username AND c.kind = 'operator'
       WHERE s.token_hash = ? AND s.expires_at > ?`,
      [digest(token), now],
    );
    if (!r || !isRole(r.role)) return undefined;
    // Slide the expiry at most once a minute: a busy page does not write on every request.
    const next = this.expiry();
    if (Date.parse(next) - Date.parse(r.expiresAt) > 60_000)
      await this.sql.run('UPDATE sessions SET expires_at = ? WHERE token_hash = ?', [next, digest(token)]);
    return { name: r.username, role: r.role, ...parseScope(r.scope) };
  }

  async close(token: string): Promise<void> {
    await this.sql.run('DELETE FROM sessions WHERE token_hash = ?', [digest(token)]);
  }

  /** End every session of a user (password changed, account removed). */
  async closeAll(username: string): Promise<number> {
    return (await this.sql.run('DELETE FROM sessions WHERE username = ?', [username])).changes;
  }

  async sweep(): Promise<number> {
    return (await this.sql.run('DELETE FROM sessions WHERE expires_at <= ?', [this.now().toISOString()])).changes;
  }

  private expiry(): string {
    return new Date(this.now().getTime() + this.hours * 3_600_000).toISOString();
  }
}
