import type { SqlDatabase } from './store/sql.ts';

/** Which gateway workers are alive: each says so every few seconds. */
export class WorkerStore {
  constructor(private readonly sql: SqlDatabase) {}

  /** This worker is alive now; returns the workers seen within `aliveMs`, sorted. */
  async beat(id: string, now: Date, aliveMs: number): Promise<string[]> {
    await this.sql.run(
      'INSERT INTO gateway_workers (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at',
      [id, now.toISOString()],
    );
    const rows = await this.sql.all<{ id: string }>('SELECT id FROM gateway_workers WHERE seen_at > ? ORDER BY id', [
      new Date(now.getTime() - aliveMs).toISOString(),
    ]);
    return rows.map((r) => r.id);
  }

  async leave(id: string): Promise<void> {
    await this.sql.run('DELETE FROM gateway_workers WHERE id = ?', [id]);
  }

  async forgetOlder(than: Date): Promise<void> {
    await this.sql.run('DELETE FROM gateway_workers WHERE seen_at < ?', [than.toISOString()]);
  }
}
