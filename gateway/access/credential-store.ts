import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  hashPassword,
  isDeviceId,
  isOwnPasswordHash,
  MOSQUITTO_HASH,
  mosquittoHash,
  verifyPassword,
} from '../../protocols/index.ts';
import type { SqlDatabase, SqlQueryable } from '../store/sql.ts';
import { isRole, NEEDS_SCOPE, type Role } from './policy.ts';
import { parseScope, scopeJson, type Scope } from './viewer.ts';

export type Principal = { kind: 'device'; id: string } | { kind: 'operator'; id: string; role: Role; scope?: Scope };

export interface CredentialRow {
  username: string;
  kind: 'device' | 'operator';
  role: string;
  scope?: Scope;
  createdAt: string;
}

/** A change to an account, as the running gateway picks it up (credential-watch.ts). */
export interface CredentialChange {
  seq: number;
  username: string;
  /** created: a new account (nobody can be logged in with it yet); set: its password or role changed. */
  change: 'created' | 'set' | 'removed';
}

/** Names the gateway keeps for its own clients; no person or box may take them. */
export const GATEWAY_USER = 'roadwarden-gateway';
export const isReservedName = (name: string): boolean => name === GATEWAY_USER || name.startsWith(`${GATEWAY_USER}.`);

const OPERATOR_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
const HMAC_PREFIX = 'hmac-sha256$';

/**
 * A hash to compare against when the name is unknown, so an unknown name costs the same scrypt
 * run as a wrong password and timing does not tell which names exist.
 */
const UNKNOWN = hashPassword('roadwarden: no such account');

/**
 * Who may connect to the broker and log in: one credential per device (username = device id) and
 * operator accounts for people and county systems. Operators' passwords are scrypt hashes. A
 * device's password is a random machine secret, so after its first log-in it is kept as an
 * HMAC-SHA256 under the gateway's device-auth key: a county's boxes reconnecting at once cost
 * microseconds each instead of a scrypt run. Every change is written to `credential_changes`,
 * which the running gateway follows to drop caches and end connections.
 */
export class CredentialStore {
  private readonly cache = new Map<string, { digest: string; principal: Principal }>();

  constructor(
    private readonly sql: SqlDatabase,
    /** The device-auth key; without it device passwords stay scrypt hashes. */
    private readonly deviceKey?: Buffer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async addDevice(id: string, password: string): Promise<void> {
    checkDeviceId(id);
    checkPassword(password);
    const hash = this.deviceKey ? this.fastHash(password) : await hashPassword(password);
    await this.writeHash(id, 'device', 'device', hash, undefined, mosquittoHash(password));
  }

  /** A person or county system; `scope` limits a village cadre or police squad to their places. */
  async addOperator(username: string, password: string, role: Role, scope?: Scope): Promise<void> {
    if (!OPERATOR_NAME.test(username))
      throw new Error(`operator name "${username}" is not valid (lower-case letters, digits, _ . -)`);
    if (isReservedName(username) && role !== 'gateway')
      throw new Error(`"${username}" is reserved for the gateway's own clients`);
    if ((await this.get(username))?.kind === 'device') throw new Error(`"${username}" is already a device`);
    const needs = NEEDS_SCOPE[role];
    if (needs && !scope?.[needs]?.length)
      throw new Error(`a ${role} account needs --${needs} (the places it answers for)`);
    checkPassword(password);
    await this.writeHash(username, 'operator', role, await hashPassword(password), scope);
  }

  /** Remove an account: it cannot log in again, and its dashboard sessions end now. */
  async remove(username: string): Promise<boolean> {
    this.cache.delete(username);
    return this.sql.transaction(async (tx) => {
      const gone = (await tx.run('DELETE FROM credentials WHERE username = ?', [username])).changes > 0;
      if (gone) await this.changed(tx, username, 'removed');
      return gone;
    });
  }

  async list(): Promise<CredentialRow[]> {
    const rows = await this.sql.all<CredentialRow & { scope: string | null }>(
      'SELECT username, kind, role, scope, created_at AS "createdAt" FROM credentials ORDER BY kind, username',
    );
    return rows.map(({ scope, ...r }) => ({ ...r, ...parseScope(scope) }));
  }

  async get(username: string): Promise<CredentialRow | undefined> {
    const r = await this.sql.get<CredentialRow & { scope: string | null }>(
      'SELECT username, kind, role, scope, created_at AS "createdAt" FROM credentials WHERE username = ?',
      [username],
    );
    if (!r) return undefined;
    const { scope, ...row } = r;
    return { ...row, ...parseScope(scope) };
  }

  /** The principal these credentials belong to, or undefined. */
  async verify(username: string | undefined, password: Buffer | string | undefined): Promise<Principal | undefined> {
    if (!username || password === undefined) return undefined;
    const pw = password.toString();
    const digest = createHash('sha256').update(pw).digest('hex');
    const hit = this.cache.get(username);
    if (hit && hit.digest === digest) return hit.principal;
    const row = await this.sql.get<{
      kind: 'device' | 'operator';
      role: string;
      hash: string;
      scope: string | null;
      brokerHash: string | null;
    }>(
      'SELECT kind, role, password_hash AS hash, scope, broker_hash AS "brokerHash" FROM credentials WHERE username = ?',
      [username],
    );
    if (!row) {
      await verifyPassword(pw, await UNKNOWN);
      return undefined;
    }
    if (!(await this.matches(pw, row.hash))) return undefined;
    if (row.kind === 'device' && this.deviceKey && !row.hash.startsWith(HMAC_PREFIX)) {
      // First log-in since commissioning (which sends a scrypt hash): keep the fast hash from now on.
      // Not a credential change: the box keeps its connection.
      await this.sql.run('UPDATE credentials SET password_hash = ? WHERE username = ? AND password_hash = ?', [
        this.fastHash(pw),
        username,
        row.hash,
      ]);
    }
    // Commissioning sends only a scrypt hash: Mosquitto's hash can be made once the password is seen.
    // Boxes only: Mosquitto never gets people's accounts, and a PBKDF2 hash of a person's password
    // would be far easier to crack than its scrypt one.
    if (row.kind === 'device' && row.brokerHash === null)
      await this.sql.run('UPDATE credentials SET broker_hash = ? WHERE username = ? AND broker_hash IS NULL', [
        mosquittoHash(pw),
        username,
      ]);
    const principal = toPrincipal(username, row);
    if (principal) this.cache.set(username, { digest, principal });
    return principal;
  }

  /**
   * Who an account is, without its password: for a broker that asks about rights separately from
   * the log-in it already checked (RabbitMQ's HTTP auth backend).
   */
  async principalOf(username: string): Promise<Principal | undefined> {
    const row = await this.sql.get<{ kind: 'device' | 'operator'; role: string; scope: string | null }>(
      'SELECT kind, role, scope FROM credentials WHERE username = ?',
      [username],
    );
    return row && toPrincipal(username, row);
  }

  /** Forget what is cached for a name (another process changed it). */
  forget(username: string): void {
    this.cache.delete(username);
  }

  /** Changes after `seq`, oldest first. */
  async changesSince(seq: number): Promise<CredentialChange[]> {
    return this.sql.all<CredentialChange>(
      'SELECT seq, username, change FROM credential_changes WHERE seq > ? ORDER BY seq LIMIT 1000',
      [seq],
    );
  }

  async lastChange(): Promise<number> {
    return (
      (await this.sql.get<{ seq: number }>('SELECT coalesce(max(seq), 0) AS seq FROM credential_changes')) as {
        seq: number;
      }
    ).seq;
  }

  /** Store an already hashed password (a registration from `roadwarden commission` carries only the scrypt hash). */
  async putHash(
    username: string,
    kind: 'device' | 'operator',
    role: string,
    hash: string,
    brokerHash?: string,
  ): Promise<void> {
    await this.writeHash(username, kind, role, hash, undefined, brokerHash);
  }

  /** Accounts with Mosquitto's hash of their password, for its password file. */
  async brokerHashes(): Promise<
    Array<{ username: string; kind: 'device' | 'operator'; role: string; hash: string | null }>
  > {
    return this.sql.all('SELECT username, kind, role, broker_hash AS hash FROM credentials ORDER BY kind, username');
  }

  private async writeHash(
    username: string,
    kind: 'device' | 'operator',
    role: string,
    hash: string,
    scope?: Scope,
    brokerHash?: string,
  ): Promise<void> {
    if (kind === 'device') checkDeviceId(username);
    checkStoredHash(hash);
    if (brokerHash !== undefined && !MOSQUITTO_HASH.test(brokerHash))
      throw new Error('the broker hash is not a Mosquitto $7$ hash (PBKDF2-SHA512)');
    this.cache.delete(username);
    await this.sql.transaction(async (tx) => {
      const existed = (await tx.get('SELECT 1 AS x FROM credentials WHERE username = ?', [username])) !== undefined;
      await tx.run(
        `INSERT INTO credentials (username, kind, role, password_hash, scope, broker_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET kind = excluded.kind, role = excluded.role,
           password_hash = excluded.password_hash, scope = excluded.scope, broker_hash = excluded.broker_hash`,
        [username, kind, role, hash, scopeJson(scope), brokerHash ?? null, this.now().toISOString()],
      );
      await this.changed(tx, username, existed ? 'set' : 'created');
    });
  }

  /** A changed or removed account ends its dashboard sessions here; MQTT connections end in the gateway that watches the log. */
  private async changed(tx: SqlQueryable, username: string, change: CredentialChange['change']): Promise<void> {
    await tx.run('DELETE FROM sessions WHERE username = ?', [username]);
    await tx.run('INSERT INTO credential_changes (username, change, at) VALUES (?, ?, ?)', [
      username,
      change,
      this.now().toISOString(),
    ]);
  }

  private fastHash(password: string): string {
    return `${HMAC_PREFIX}${createHmac('sha256', this.deviceKey!).update(password).digest('base64')}`;
  }

  private async matches(password: string, stored: string): Promise<boolean> {
    if (!stored.startsWith(HMAC_PREFIX)) return verifyPassword(password, stored);
    if (!this.deviceKey) return false;
    const want = Buffer.from(stored.slice(HMAC_PREFIX.length), 'base64');
    const got = createHmac('sha256', this.deviceKey).update(password).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

/** A hash a registration may carry: the project's own scrypt parameters (or a fast device hash). */
export function checkStoredHash(hash: string): void {
  if (!isOwnPasswordHash(hash) && !hash.startsWith(HMAC_PREFIX))
    throw new Error('password hash must be scrypt with N=16384, r=8, p=1, a 16-byte salt and a 32-byte key');
}

function checkDeviceId(id: string): void {
  if (!isDeviceId(id)) throw new Error(`device id "${id}" is not valid (letters, digits, _ . -; at most 64)`);
  if (isReservedName(id)) throw new Error(`"${id}" is reserved for the gateway's own clients`);
}

function checkPassword(password: string): void {
  if (password.length < 8) throw new Error('password must be at least 8 characters');
}

function toPrincipal(
  username: string,
  row: { kind: 'device' | 'operator'; role: string; scope: string | null },
): Principal | undefined {
  if (row.kind === 'device') return { kind: 'device', id: username };
  return isRole(row.role) ? { kind: 'operator', id: username, role: row.role, ...parseScope(row.scope) } : undefined;
}
