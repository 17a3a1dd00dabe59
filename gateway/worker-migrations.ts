import type { Migration } from './store/migration.ts';

const WORKERS = 'CREATE TABLE gateway_workers (id TEXT PRIMARY KEY, seen_at TEXT NOT NULL)';

/** The gateway workers alive (worker.ts): each says so every second. */
export const WORKER_MIGRATIONS: Migration[] = [{ version: 21, sql: WORKERS }];
export const WORKER_PG_MIGRATIONS: Migration[] = [{ version: 1, sql: WORKERS }];
