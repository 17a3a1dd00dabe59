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
  {
    // Bodies stored before the nesting limit (protocols/messages/codec.ts) that SQLite cannot read
    // ("malformed JSON" past 1,000 levels) made every query touching them fail. Each keeps its
    // columns and loses the unreadable rest; the original goes to dead letters.
    version: 17,
    sql: `INSERT INTO dead_letters (topic, payload, code, reason, received_at)
     SELECT 'rw/v1/' || device_id || '/event/' || kind, CAST(substr(body, 1, 65536) AS BLOB), 'bad_depth',
       'stored before the nesting limit: the event keeps its fields, not its data', received_at
     FROM events WHERE NOT json_valid(body);
   UPDATE events SET body = (SELECT CASE WHEN incident_id IS NULL THEN o ELSE json_set(o, '$.incidentId', incident_id) END
       FROM (SELECT CASE WHEN evidence_id IS NULL THEN b ELSE json_set(b, '$.evidenceId', evidence_id) END AS o
       FROM (SELECT json_object('v', 1, 'id', id, 'deviceId', device_id, 'ts', ts, 'kind', kind,
         'severity', severity, 'source', source) AS b)))
     WHERE NOT json_valid(body);
   INSERT INTO dead_letters (topic, payload, code, reason, received_at)
     SELECT 'rw/v1/' || device_id || '/cmd/' || name || '/result', CAST(substr(body, 1, 65536) AS BLOB), 'bad_depth',
       'stored before the nesting limit: the result keeps its fields, not its data', ts
     FROM command_results WHERE NOT json_valid(body);
   UPDATE command_results SET body = json_object('v', 1, 'id', id, 'deviceId', device_id, 'commandId', command_id,
       'name', name, 'ok', json(CASE ok WHEN 1 THEN 'true' ELSE 'false' END), 'ts', ts)
     WHERE NOT json_valid(body);`,
  },
];
