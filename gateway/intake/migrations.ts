import type { Migration } from '../store/migration.ts';

/** Schema of device reports as received: events, telemetry, command results, dead letters (versions count for the whole database: store/migration.ts). */
export const INTAKE_MIGRATIONS: Migration[] = [
  {
    version: 2,
    sql: `CREATE TABLE events (
     id TEXT PRIMARY KEY,
     device_id TEXT NOT NULL,
     kind TEXT NOT NULL, severity TEXT NOT NULL, source TEXT NOT NULL,
     ts TEXT NOT NULL, received_at TEXT NOT NULL,
     incident_id TEXT, evidence_id TEXT,
     body TEXT NOT NULL
   );
   CREATE INDEX events_device_ts ON events (device_id, ts);
   CREATE INDEX events_kind_ts ON events (kind, ts);
   CREATE TABLE telemetry (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, ts TEXT NOT NULL, body TEXT NOT NULL
   );
   CREATE INDEX telemetry_device_ts ON telemetry (device_id, ts);
   CREATE TABLE command_results (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, command_id TEXT NOT NULL, name TEXT NOT NULL,
     ok INTEGER NOT NULL, code TEXT, message TEXT, ts TEXT NOT NULL, body TEXT NOT NULL
   );
   CREATE INDEX command_results_command ON command_results (command_id);
   CREATE TABLE dead_letters (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     topic TEXT NOT NULL, payload BLOB NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL, received_at TEXT NOT NULL
   );`,
  },
  {
    version: 4,
    sql: `CREATE INDEX events_severity_ts ON events (severity, ts);`,
  },
  {
    version: 12,
    sql: `CREATE INDEX events_alarms ON events (severity, id);`,
  },
  {
    // No query reads events by kind or by severity and time (the alarm list pages by id, a box's
    // last alarm comes from events_device_ts): two index writes per event saved.
    version: 15,
    sql: `DROP INDEX events_kind_ts;
   DROP INDEX events_severity_ts;`,
  },
];
