import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { OperatorRole } from '../registry/credentials.ts';
import { isScoped, type Scope } from '../registry/scope.ts';

export interface ApiUser {
  name: string;
  role: OperatorRole;
  /** The villages/townships this user may see; none = the whole county. */
  scope?: Scope;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Bearer tokens for the HTTP API. A token is 32 random bytes, shown once; only its SHA-256 is
 * stored (enough for a high-entropy secret, and cheap to check on every request).
 */
export class ApiTokens {
  constructor(private readonly db: Database.Database) {}

  issue(name: string, role: OperatorRole, scope?: Scope): string {
    const token = `rw_${randomBytes(32).toString('base64url')}`;
    this.db
      .prepare(
        'INSERT INTO api_tokens (token_hash, name, role, created_at, scope) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, role = excluded.role, scope = excluded.scope',
      )
      .run(digest(token), name, role, new Date().toISOString(), isScoped(scope) ? JSON.stringify(scope) : null);
    return token;
  }

  check(token: string | undefined): ApiUser | undefined {
    if (!token) return undefined;
    const r = this.db.prepare('SELECT name, role, scope FROM api_tokens WHERE token_hash = ?').get(digest(token)) as { name: string; role: OperatorRole; scope: string | null } | undefined;
    return r && { name: r.name, role: r.role, ...(r.scope ? { scope: JSON.parse(r.scope) as Scope } : {}) };
  }

  /** SHA-256 of the named token: the key that verifies what it signed (offline registrations). */
  digestOf(name: string): Buffer | undefined {
    const r = this.db.prepare('SELECT token_hash AS h FROM api_tokens WHERE name = ?').get(name) as { h: string } | undefined;
    return r && Buffer.from(r.h, 'hex');
  }

  revoke(name: string): boolean {
    return this.db.prepare('DELETE FROM api_tokens WHERE name = ?').run(name).changes > 0;
  }
}
