import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { isDeviceId } from '../../protocols/index.ts';
import { hashPassword, verifyPassword } from '../../protocols/index.ts';
import { isScoped, type Scope } from './scope.ts';

export type OperatorRole = 'gateway' | 'admin' | 'police' | 'village' | 'technician';
export type Principal = { kind: 'device'; id: string } | { kind: 'operator'; id: string; role: OperatorRole; scope?: Scope };

export interface CredentialRow {
  username: string;
  kind: 'device' | 'operator';
  role: string;
  createdAt: string;
}

/**
 * Who may connect to the broker: one credential per device (username = device id) and operator
 * accounts for county systems. Passwords are stored as scrypt hashes only. A successful check is
 * cached in memory (keyed by a SHA-256 of the password) so a fleet reconnecting at once does not
 * cost thousands of scrypt runs.
 */
export class CredentialStore {
  private readonly cache = new Map<string, { digest: string; principal: Principal }>();

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async addDevice(id: string, password: string): Promise<void> {
    if (!isDeviceId(id)) throw new Error(`device id "${id}" is not valid (letters, digits, _ . -; at most 64)`);
    await this.put(id, 'device', 'device', password);
  }

  /** A person or county system; `scope` limits a village cadre or police squad to their places. */
  async addOperator(username: string, password: string, role: OperatorRole, scope?: Scope): Promise<void> {
    if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(username)) throw new Error(`operator name "${username}" is not valid (lower-case letters, digits, _ . -)`);
    if (isDeviceId(username) && this.get(username)?.kind === 'device') throw new Error(`"${username}" is already a device`);
    await this.put(username, 'operator', role, password);
    this.db.prepare('UPDATE credentials SET scope = ? WHERE username = ?').run(isScoped(scope) ? JSON.stringify(scope) : null, username);
  }

  remove(username: string): boolean {
    this.cache.delete(username);
    return this.db.prepare('DELETE FROM credentials WHERE username = ?').run(username).changes > 0;
  }

  list(): CredentialRow[] {
    return this.db.prepare('SELECT username, kind, role, created_at AS createdAt FROM credentials ORDER BY kind, username').all() as CredentialRow[];
  }

  get(username: string): CredentialRow | undefined {
    return this.db.prepare('SELECT username, kind, role, created_at AS createdAt FROM credentials WHERE username = ?').get(username) as CredentialRow | undefined;
  }

  /** The principal these credentials belong to, or undefined. */
  async verify(username: string | undefined, password: Buffer | string | undefined): Promise<Principal | undefined> {
    if (!username || password === undefined) return undefined;
    const pw = password.toString();
    const digest = createHash('sha256').update(pw).digest('hex');
    const hit = this.cache.get(username);
    if (hit && hit.digest === digest) return hit.principal;
    const row = this.db.prepare('SELECT kind, role, password_hash AS hash, scope FROM credentials WHERE username = ?').get(username) as
      | { kind: 'device' | 'operator'; role: string; hash: string; scope: string | null }
      | undefined;
    if (!row || !(await verifyPassword(pw, row.hash))) return undefined;
    const principal: Principal =
      row.kind === 'device' ? { kind: 'device', id: username } : { kind: 'operator', id: username, role: row.role as OperatorRole, ...(row.scope ? { scope: JSON.parse(row.scope) as Scope } : {}) };
    this.cache.set(username, { digest, principal });
    return principal;
  }

  private async put(username: string, kind: 'device' | 'operator', role: string, password: string): Promise<void> {
    if (password.length < 8) throw new Error('password must be at least 8 characters');
    this.putHash(username, kind, role, await hashPassword(password));
  }

  /** Store an already hashed password (a registration from `roadwarden commission` carries only the hash). */
  putHash(username: string, kind: 'device' | 'operator', role: string, hash: string): void {
    if (kind === 'device' && !isDeviceId(username)) throw new Error(`device id "${username}" is not valid (letters, digits, _ . -; at most 64)`);
    this.cache.delete(username);
    this.db
      .prepare(
        `INSERT INTO credentials (username, kind, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET kind = excluded.kind, role = excluded.role, password_hash = excluded.password_hash`,
      )
      .run(username, kind, role, hash, this.now().toISOString());
  }
}
