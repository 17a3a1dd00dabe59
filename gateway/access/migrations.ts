import type { Migration } from '../store/migration.ts';

/** Schema of accounts, tokens, sessions, the access log and account changes (versions count for the whole database: store/migration.ts). */
export const ACCESS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE credentials (
     username TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('device', 'operator')),
     role TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
  },
  {
    version: 4,
    sql: `CREATE TABLE api_tokens (
     token_hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, created_at TEXT NOT NULL
   );`,
  },
  {
    version: 8,
    sql: `CREATE TABLE access_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, what TEXT NOT NULL, subject TEXT NOT NULL
   );`,
  },
  {
    version: 10,
    sql: `ALTER TABLE api_tokens ADD COLUMN scope TEXT;`,
  },
  {
    version: 12,
    sql: `ALTER TABLE credentials ADD COLUMN scope TEXT;
   CREATE TABLE sessions (
     token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, role TEXT NOT NULL, scope TEXT,
     created_at TEXT NOT NULL, expires_at TEXT NOT NULL
   );`,
  },
  {
    version: 14,
    sql: `CREATE TABLE credential_changes (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL, change TEXT NOT NULL, at TEXT NOT NULL
   );`,
  },
  {
    // Mosquitto's own hash of a password, kept where the gateway saw the password (added,
    // registered, or a first log-in): `gateway broker-config` writes Mosquitto's password file from it.
    version: 18,
    sql: `ALTER TABLE credentials ADD COLUMN broker_hash TEXT;`,
  },
];
