import { databaseKey, openSealedDatabase } from '../../protocols/index.ts';

/** What a gateway.db holds, to compare a restored copy with the one backed up. */
export interface DatabaseSummary {
  /** SQLite's user_version: the schema the migrations reached. */
  schemaVersion: number;
  /** Rows per table. */
  rows: Record<string, number>;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A consistent copy of one of the data dir's SQLite files, encrypted under the same key: VACUUM INTO
 * reads in a transaction of its own, so a running gateway goes on writing while it copies.
 */
export function snapshotDatabase(path: string, storageKey: Buffer, name: string, to: string): DatabaseSummary {
  const db = openSealedDatabase(path, databaseKey(storageKey, name));
  try {
    db.prepare('VACUUM INTO ?').run(to);
  } finally {
    db.close();
  }
  return summarizeDatabase(to, storageKey, name);
}

/** Opens (never migrates) a database file and counts its rows; a wrong key throws DatabaseKeyError. */
export function summarizeDatabase(path: string, storageKey: Buffer, name: string): DatabaseSummary {
  const db = openSealedDatabase(path, databaseKey(storageKey, name));
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as { name: string }[];
    const rows: Record<string, number> = {};
    for (const { name: t } of tables)
      if (TABLE_NAME.test(t)) rows[t] = (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n;
    return { schemaVersion: db.pragma('user_version', { simple: true }) as number, rows };
  } finally {
    db.close();
  }
}
