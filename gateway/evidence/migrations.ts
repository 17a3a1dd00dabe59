import type { Migration } from '../store/migration.ts';

/** Schema of evidence manifests and encrypted images (versions count for the whole database: store/migration.ts). */
export const EVIDENCE_MIGRATIONS: Migration[] = [
  {
    version: 2,
    sql: `CREATE TABLE evidence (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, event_id TEXT, ts TEXT NOT NULL, body TEXT NOT NULL
   );`,
  },
  {
    version: 8,
    sql: `CREATE TABLE evidence_images (
     sha256 TEXT PRIMARY KEY, device_id TEXT NOT NULL, bytes INTEGER NOT NULL, received_at TEXT NOT NULL
   );
   CREATE INDEX evidence_images_received ON evidence_images (received_at);
   CREATE INDEX evidence_event ON evidence (event_id);`,
  },
];

/**
 * The same schema on PostgreSQL (storage.url), versioned per module (store/postgres-migrations.ts).
 * Version 1 is SQLite's schema as of its version 18: a PostgreSQL database starts there.
 */
export const EVIDENCE_PG_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE evidence (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, event_id TEXT, ts TEXT NOT NULL, body TEXT NOT NULL
   );
   CREATE INDEX evidence_event ON evidence (event_id);
   CREATE TABLE evidence_images (
     sha256 TEXT PRIMARY KEY, device_id TEXT NOT NULL, bytes BIGINT NOT NULL, received_at TEXT NOT NULL
   );
   CREATE INDEX evidence_images_received ON evidence_images (received_at);`,
  },
];
