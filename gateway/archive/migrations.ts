import type { Migration } from '../store/migration.ts';

/** Schema of the vehicle archive and drivers' face descriptors (versions count for the whole database: store/migration.ts). */
export const ARCHIVE_MIGRATIONS: Migration[] = [
  {
    version: 5,
    sql: `CREATE TABLE vehicles (
     id TEXT PRIMARY KEY,
     plate TEXT UNIQUE,
     class TEXT NOT NULL,
     owner_name TEXT, owner_phone TEXT, driver_name TEXT,
     township TEXT, village TEXT,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL
   );
   CREATE INDEX vehicles_village ON vehicles (village);`,
  },
  {
    version: 11,
    sql: `CREATE TABLE faces (
     evidence_id TEXT NOT NULL, idx INTEGER NOT NULL, device_id TEXT NOT NULL, captured_at TEXT NOT NULL,
     model TEXT NOT NULL, plate TEXT, vector BLOB NOT NULL,
     PRIMARY KEY (evidence_id, idx)
   );
   CREATE INDEX faces_model_plate ON faces (model, plate);`,
  },
  {
    // A sequence number per descriptor: each worker's in-memory search index catches up on the
    // rows it has not seen (face-store.ts); AUTOINCREMENT so a deleted number is never reused.
    version: 22,
    sql: `CREATE TABLE faces_seq (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     evidence_id TEXT NOT NULL, idx INTEGER NOT NULL, device_id TEXT NOT NULL, captured_at TEXT NOT NULL,
     model TEXT NOT NULL, plate TEXT, vector BLOB NOT NULL,
     UNIQUE (evidence_id, idx)
   );
   INSERT INTO faces_seq (evidence_id, idx, device_id, captured_at, model, plate, vector)
     SELECT evidence_id, idx, device_id, captured_at, model, plate, vector FROM faces ORDER BY rowid;
   DROP TABLE faces;
   ALTER TABLE faces_seq RENAME TO faces;
   CREATE INDEX faces_model_plate ON faces (model, plate);`,
  },
];

/**
 * The same schema on PostgreSQL (storage.url), versioned per module (store/postgres-migrations.ts).
 * Version 1 is SQLite's schema as of its version 18: a PostgreSQL database starts there.
 */
export const ARCHIVE_PG_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE vehicles (
     id TEXT PRIMARY KEY,
     plate TEXT UNIQUE,
     class TEXT NOT NULL,
     owner_name TEXT, owner_phone TEXT, driver_name TEXT,
     township TEXT, village TEXT,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL
   );
   CREATE INDEX vehicles_village ON vehicles (village);
   CREATE TABLE faces (
     evidence_id TEXT NOT NULL, idx INTEGER NOT NULL, device_id TEXT NOT NULL, captured_at TEXT NOT NULL,
     model TEXT NOT NULL, plate TEXT, vector BYTEA NOT NULL,
     PRIMARY KEY (evidence_id, idx)
   );
   CREATE INDEX faces_model_plate ON faces (model, plate);`,
  },
  {
    version: 2,
    sql: `ALTER TABLE faces ADD COLUMN seq BIGSERIAL;
   CREATE UNIQUE INDEX faces_seq ON faces (seq);`,
  },
];
