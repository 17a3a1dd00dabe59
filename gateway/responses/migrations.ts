import type { Migration } from '../store/migration.ts';

/** Schema of cases, their three responses and notification deliveries (versions count for the whole database: store/migration.ts). */
export const RESPONSES_MIGRATIONS: Migration[] = [
  {
    version: 3,
    sql: `CREATE TABLE cases (
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
  },
  {
    version: 6,
    sql: `ALTER TABLE cases ADD COLUMN vehicle_id TEXT;
   ALTER TABLE cases ADD COLUMN repeat_count INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE responses ADD COLUMN reminded_at TEXT;
   CREATE INDEX cases_vehicle ON cases (vehicle_id, opened_at);`,
  },
  {
    version: 7,
    sql: `ALTER TABLE responses ADD COLUMN recipient TEXT;
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
  },
  {
    version: 13,
    sql: `CREATE INDEX cases_event ON cases (event_id);
   CREATE INDEX cases_opened ON cases (opened_at);`,
  },
  {
    // A case page reads each response's history: without it, a scan of every state change ever logged.
    version: 16,
    sql: `CREATE INDEX response_log_response ON response_log (response_id, seq);`,
  },
];
