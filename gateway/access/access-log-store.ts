import type { SqlDatabase } from '../store/sql.ts';
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
    private readonly sql: SqlDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(v: Viewer, what: string, subject: string): Promise<void> {
    await this.sql.run('INSERT INTO access_log (at, actor, role, what, subject) VALUES (?, ?, ?, ?, ?)', [
      this.now().toISOString(),
      v.name,
      v.role,
      what,
      subject,
    ]);
  }

  async recent(limit = 100): Promise<AccessEntry[]> {
    return this.sql.all<AccessEntry>(
      'SELECT at, actor, role, what, subject FROM access_log ORDER BY seq DESC LIMIT ?',
      [limit],
    );
  }
}
