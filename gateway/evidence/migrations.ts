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
