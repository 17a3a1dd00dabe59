import { createHash, randomBytes } from 'node:crypto';
import type { SqlDatabase } from '../store/sql.ts';
import { isRole, type Role } from './policy.ts';
import { parseScope, scopeJson, type Scope, type Viewer } from './viewer.ts';

export interface TokenRow {
  name: string;
  role: Role;
  scope?: Scope;
  createdAt: string;
}

export interface Signer {
  key: Buffer;
  viewer: Viewer;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Bearer tokens for the HTTP API. A token is 32 random bytes, shown once; only its SHA-256 is
 * stored (enough for a high-entropy secret, and cheap to check on every request). Every request
 * reads the table, so a revoked token stops working at once, in whichever process revoked it.
 */
export class ApiTokens {
  constructor(private readonly sql: SqlDatabase) {}

  async issue(name: string, role: Role, scope?: Scope): Promise<string> {
    const token = `rw_${randomBytes(32).toString('base64url')}`;
    await this.sql.run(
      'INSERT INTO api_tokens (token_hash, name, role, created_at, scope) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, role = excluded.role, scope = excluded.scope',
      [digest(token), name, role, new Date().toISOString(), scopeJson(scope)],
    );
    return token;
  }

  async check(token: string | undefined): Promise<Viewer | undefined> {
    if (!token) return undefined;
    const r = await this.sql.get<{ name: string; role: string; scope: string | null }>(
      'SELECT name, role, scope FROM api_tokens WHERE token_hash = ?',
      [digest(token)],
    );
    return r && isRole(r.role) ? { name: r.name, role: r.role, ...parseScope(r.scope) } : undefined;
  }

  async list(): Promise<TokenRow[]> {
    const rows = await this.sql.all<{ name: string; role: Role; scope: string | null; createdAt: string }>(
      'SELECT name, role, scope, created_at AS "createdAt" FROM api_tokens ORDER BY name',
    );
    return rows.map((r) => ({ name: r.name, role: r.role, createdAt: r.createdAt, ...parseScope(r.scope) }));
  }

  /**
   * The named token as the signer of an offline file: the key that verifies its signature (the
   * token's SHA-256) and who the signer is, so the signer's role and scope apply to what it signed.
   */
  async signer(name: string): Promise<Signer | undefined> {
    const r = await this.sql.get<{ h: string; role: string; scope: string | null }>(
      'SELECT token_hash AS h, role, scope FROM api_tokens WHERE name = ?',
      [name],
    );
    return r && isRole(r.role)
      ? { key: Buffer.from(r.h, 'hex'), viewer: { name, role: r.role, ...parseScope(r.scope) } }
      : undefined;
  }

  async revoke(name: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM api_tokens WHERE name = ?', [name])).changes > 0;
  }
}
