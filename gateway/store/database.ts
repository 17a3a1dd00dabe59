import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Schema changes, applied in order once each; the index is the schema version. */
const MIGRATIONS = [
  `CREATE TABLE credentials (
     username TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('device', 'operator')),
     role TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
  `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     name TEXT, road TEXT, crossing TEXT, township TEXT, village TEXT, lat REAL, lon REAL,
     hardware TEXT, donor TEXT,
     state TEXT NOT NULL DEFAULT 'unknown',
     bd_seq INTEGER, firmware TEXT,
     last_seen TEXT, last_telemetry TEXT, flags TEXT NOT NULL DEFAULT '[]', config_version INTEGER,
     telemetry_seq INTEGER, telemetry_gaps INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE events (
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
   CREATE TABLE evidence (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, event_id TEXT, ts TEXT NOT NULL, body TEXT NOT NULL
   );
   CREATE TABLE dead_letters (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     topic TEXT NOT NULL, payload BLOB NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL, received_at TEXT NOT NULL
   );`,
  `CREATE TABLE cases (
     id TEXT PRIMARY KEY,
     incident_key TEXT NOT NULL UNIQUE,
     event_id TEXT NOT NULL, device_id TEXT NOT NULL, kind TEXT NOT NULL,
     opened_at TEXT NOT NULL, closed_at TEXT, closed_by TEXT
   );
   CREATE TABLE responses (
     id TEXT PRIMARY KEY,
     case_id TEXT NOT NULL REFERENCES cases (id),
     kind TEXT NOT NULL CHECK (kind IN ('onsite', 'village', 'police')),
     state TEXT NOT NULL,
     ack_deadline TEXT,
     updated_at TEXT NOT NULL,
     actor TEXT, note TEXT,
     UNIQUE (case_id, kind)
   );
   CREATE TABLE response_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     response_id TEXT NOT NULL REFERENCES responses (id),
     from_state TEXT, to_state TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, note TEXT
   );
   CREATE INDEX responses_state ON responses (state, ack_deadline);`,
  `CREATE TABLE api_tokens (
     token_hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, created_at TEXT NOT NULL
   );
   CREATE INDEX events_severity_ts ON events (severity, ts);`,
  `CREATE TABLE vehicles (
     id TEXT PRIMARY KEY,
     plate TEXT UNIQUE,
     class TEXT NOT NULL,
     owner_name TEXT, owner_phone TEXT, driver_name TEXT,
     township TEXT, village TEXT,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL
   );
   CREATE INDEX vehicles_village ON vehicles (village);`,
  `ALTER TABLE cases ADD COLUMN vehicle_id TEXT;
   ALTER TABLE cases ADD COLUMN repeat_count INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE responses ADD COLUMN reminded_at TEXT;
   CREATE INDEX cases_vehicle ON cases (vehicle_id, opened_at);`,
  `ALTER TABLE responses ADD COLUMN recipient TEXT;
   CREATE TABLE deliveries (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     recipient_key TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL,
     idempotency_key TEXT NOT NULL, response_ids TEXT NOT NULL,
     at TEXT NOT NULL, ok INTEGER NOT NULL, attempts INTEGER NOT NULL, error TEXT
   );
   CREATE INDEX deliveries_recipient_at ON deliveries (recipient_key, at);
   CREATE TABLE held_notifications (
     response_id TEXT PRIMARY KEY REFERENCES responses (id),
     recipient_key TEXT NOT NULL, channel TEXT NOT NULL, body TEXT NOT NULL, held_at TEXT NOT NULL
   );`,
  `CREATE TABLE evidence_images (
     sha256 TEXT PRIMARY KEY, device_id TEXT NOT NULL, bytes INTEGER NOT NULL, received_at TEXT NOT NULL
   );
   CREATE INDEX evidence_images_received ON evidence_images (received_at);
   CREATE INDEX evidence_event ON evidence (event_id);
   CREATE TABLE access_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, what TEXT NOT NULL, subject TEXT NOT NULL
   );`,
  `CREATE TABLE selftests (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, ts TEXT NOT NULL, received_at TEXT NOT NULL, ok INTEGER NOT NULL, body TEXT NOT NULL
   );
   CREATE INDEX selftests_device ON selftests (device_id, received_at);
   ALTER TABLE devices ADD COLUMN commissioned TEXT;
   CREATE TABLE tickets (
     id TEXT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, township TEXT, team TEXT,
     opened_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 1, detail TEXT,
     cleared_at TEXT, closed_at TEXT, closed_by TEXT, note TEXT, selftest_id TEXT
   );
   CREATE UNIQUE INDEX tickets_one_open ON tickets (device_id, kind) WHERE closed_at IS NULL;
   CREATE INDEX tickets_township_opened ON tickets (township, opened_at);`,
  `ALTER TABLE api_tokens ADD COLUMN scope TEXT;`,
  `CREATE TABLE faces (
     evidence_id TEXT NOT NULL, idx INTEGER NOT NULL, device_id TEXT NOT NULL, captured_at TEXT NOT NULL,
     model TEXT NOT NULL, plate TEXT, vector BLOB NOT NULL,
     PRIMARY KEY (evidence_id, idx)
   );
   CREATE INDEX faces_model_plate ON faces (model, plate);`,
  `ALTER TABLE credentials ADD COLUMN scope TEXT;
   CREATE TABLE sessions (
     token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, role TEXT NOT NULL, scope TEXT,
     created_at TEXT NOT NULL, expires_at TEXT NOT NULL
   );
   CREATE INDEX events_alarms ON events (severity, id);`,
  `CREATE INDEX cases_event ON cases (event_id);
   CREATE INDEX cases_opened ON cases (opened_at);`,
  `CREATE TABLE credential_changes (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL, change TEXT NOT NULL, at TEXT NOT NULL
   );`,
];

/** The gateway's SQLite database in dataDir (WAL, foreign keys on), migrated to the current schema. */
export function openDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
  cacheStatements(db);
  return db;
}

/**
 * better-sqlite3 compiles the SQL on every prepare(); the gateway prepares the same few dozen
 * statements thousands of times a second under alarm load, so each is compiled once and reused.
 * (Safe because nothing here keeps a statement's iterator open across calls.)
 */
function cacheStatements(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let st = cache.get(sql);
    if (!st) {
      st = prepare(sql);
      cache.set(sql, st);
    }
    return st;
  }) as typeof db.prepare;
}
