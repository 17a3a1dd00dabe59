import type Database from 'better-sqlite3-multiple-ciphers';
import type { Viewer } from './viewer.ts';

export interface AccessEntry {
  at: string;
  actor: string;
  role: string;
  what: string;
  subject: string;
}

/** Every view of personal data (faces, plates, owners) is recorded: who, when, what. */
export class AccessLog {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(v: Viewer, what: string, subject: string): Promise<void> {
    this.db
      .prepare('INSERT INTO access_log (at, actor, role, what, subject) VALUES (?, ?, ?, ?, ?)')
      .run(this.now().toISOString(), v.name, v.role, what, subject);
  }

  async recent(limit = 100): Promise<AccessEntry[]> {
    return this.db
      .prepare('SELECT at, actor, role, what, subject FROM access_log ORDER BY seq DESC LIMIT ?')
      .all(limit) as AccessEntry[];
  }
}
