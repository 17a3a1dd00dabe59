import type { Migration } from '../store/migration.ts';

/** Schema of fault tickets (versions count for the whole database: store/migration.ts). */
export const TICKETS_MIGRATIONS: Migration[] = [
  {
    version: 9,
    sql: `CREATE TABLE tickets (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, township TEXT, team TEXT,
     opened_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 1, detail TEXT,
     cleared_at TEXT, closed_at TEXT, closed_by TEXT, note TEXT, selftest_id TEXT
   );
   CREATE UNIQUE INDEX tickets_one_open ON tickets (device_id, kind) WHERE closed_at IS NULL;
   CREATE INDEX tickets_township_opened ON tickets (township, opened_at);`,
  },
];

/**
 * The same schema on PostgreSQL (storage.url), versioned per module (store/postgres-migrations.ts).
 * Version 1 is SQLite's schema as of its version 18: a PostgreSQL database starts there.
 */
export const TICKETS_PG_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE tickets (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, township TEXT, team TEXT,
     opened_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 1, detail TEXT,
     cleared_at TEXT, closed_at TEXT, closed_by TEXT, note TEXT, selftest_id TEXT
   );
   CREATE UNIQUE INDEX tickets_one_open ON tickets (device_id, kind) WHERE closed_at IS NULL;
   CREATE INDEX tickets_township_opened ON tickets (township, opened_at);`,
  },
];
