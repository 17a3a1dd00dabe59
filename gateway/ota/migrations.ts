import type { Migration } from '../store/migration.ts';

const TABLES = `CREATE TABLE ota_bundles (
     sha256 TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, version TEXT NOT NULL, size INTEGER NOT NULL,
     signed TEXT NOT NULL, published_at TEXT NOT NULL, published_by TEXT NOT NULL
   );
   CREATE TABLE ota_rollouts (
     id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, state TEXT NOT NULL, canary_percent INTEGER NOT NULL,
     created_at TEXT NOT NULL, created_by TEXT NOT NULL, updated_at TEXT NOT NULL, halted_reason TEXT
   );
   CREATE TABLE ota_targets (
     rollout_id TEXT NOT NULL, device_id TEXT NOT NULL, stage TEXT NOT NULL, state TEXT NOT NULL,
     reason TEXT, command_id TEXT, sent_at TEXT, updated_at TEXT NOT NULL, reported_at TEXT,
     PRIMARY KEY (rollout_id, device_id)
   );
   CREATE INDEX ota_targets_command ON ota_targets (command_id);
   CREATE TABLE ota_reports (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, rollout_id TEXT, state TEXT NOT NULL, ts TEXT NOT NULL, body TEXT NOT NULL
   );
   CREATE INDEX ota_reports_device ON ota_reports (device_id, ts);`;

/** Schema of agent updates: signed bundles, rollouts and each box's state in them, what boxes reported. */
export const OTA_MIGRATIONS: Migration[] = [{ version: 23, sql: TABLES }];

/** The same on PostgreSQL (versioned per module). */
export const OTA_PG_MIGRATIONS: Migration[] = [{ version: 1, sql: TABLES }];
