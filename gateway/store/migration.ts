import type Database from 'better-sqlite3-multiple-ciphers';

/**
 * One schema change of one module. Versions number the changes of the whole database (SQLite's
 * user_version), so modules that each own their tables still migrate in one known order, and a
 * database written before the tables were split among modules carries on where it was.
 */
export interface Migration {
  version: number;
  sql: string;
}

export class NewerDatabaseError extends Error {
  readonly code = 'newer_database';
}

/**
 * Apply, in one transaction, every change newer than the database; refuse a database from a newer
 * gateway. `beforeChange` runs first when an existing database is about to change (its backup).
 */
export function applyMigrations(
  db: Database.Database,
  migrations: Migration[],
  beforeChange?: (from: number, to: number) => void,
): void {
  const latest = Math.max(0, ...migrations.map((m) => m.version));
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    // Rewriting the version down would make the next upgrade run migrations a second time.
    throw new NewerDatabaseError(
      `this database has schema version ${current}, newer than this gateway knows (${latest}): it was written by a newer roadwarden. ` +
        'Run that version, or restore the backup taken before the upgrade.',
    );
  }
  // Stable sort: within one version, modules apply in the order they are listed.
  const todo = migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  if (todo.length && current > 0) beforeChange?.(current, latest);
  db.transaction(() => {
    for (const m of todo) db.exec(m.sql);
    db.pragma(`user_version = ${latest}`);
  })();
}
