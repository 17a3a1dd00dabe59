import type { Migration } from '../store/migration.ts';

/** Schema of boxes and their self-test reports (versions count for the whole database: store/migration.ts). */
export const DEVICES_MIGRATIONS: Migration[] = [
  {
    version: 2,
    sql: `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     name TEXT, road TEXT, crossing TEXT, township TEXT, village TEXT, lat REAL, lon REAL,
     hardware TEXT, donor TEXT,
     state TEXT NOT NULL DEFAULT 'unknown',
     bd_seq INTEGER, firmware TEXT,
     last_seen TEXT, last_telemetry TEXT, flags TEXT NOT NULL DEFAULT '[]', config_version INTEGER,
     telemetry_seq INTEGER, telemetry_gaps INTEGER NOT NULL DEFAULT 0
   );`,
  },
  {
    version: 9,
    sql: `CREATE TABLE selftests (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, ts TEXT NOT NULL, received_at TEXT NOT NULL, ok INTEGER NOT NULL, body TEXT NOT NULL
   );
   CREATE INDEX selftests_device ON selftests (device_id, received_at);
   ALTER TABLE devices ADD COLUMN commissioned TEXT;`,
  },
];

/**
 * The same schema on PostgreSQL (storage.url), versioned per module (store/postgres-migrations.ts).
 * Version 1 is SQLite's schema as of its version 18: a PostgreSQL database starts there.
 */
export const DEVICES_PG_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     name TEXT, road TEXT, crossing TEXT, township TEXT, village TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION,
     hardware TEXT, donor TEXT,
     state TEXT NOT NULL DEFAULT 'unknown',
     bd_seq BIGINT, firmware TEXT,
     last_seen TEXT, last_telemetry TEXT, flags TEXT NOT NULL DEFAULT '[]', config_version BIGINT,
     telemetry_seq INTEGER, telemetry_gaps BIGINT NOT NULL DEFAULT 0,
     commissioned TEXT
   );
   CREATE TABLE selftests (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, ts TEXT NOT NULL, received_at TEXT NOT NULL, ok INTEGER NOT NULL, body TEXT NOT NULL
   );
   CREATE INDEX selftests_device ON selftests (device_id, received_at);`,
  },
];
