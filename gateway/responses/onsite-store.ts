import type { SqlDatabase } from '../store/sql.ts';

/**
 * On-site commands the gateway is waiting on, in the database, answered by the command results
 * intake stores: a box's result may reach another worker than the one that sent the command, or
 * the same one after a restart, or be stored by a worker killed before it told anyone — the
 * deadline still finds it. Indexed by command and by response, so a result and a deadline cost the
 * commands of that response only.
 */
export class OnsiteStore {
  constructor(private readonly sql: SqlDatabase) {}

  /** Wait for these commands (those of an earlier try of the same response are dropped). */
  async expect(responseId: string, commands: Array<{ id: string; deviceId: string }>): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM onsite_commands WHERE response_id = ?', [responseId]);
      for (const c of commands)
        await tx.run(
          'INSERT INTO onsite_commands (command_id, response_id, device_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
          [c.id, responseId, c.deviceId],
        );
    });
  }

  /** The response a command belongs to, or undefined if nobody waits for it. */
  async responseOf(commandId: string): Promise<string | undefined> {
    const r = await this.sql.get<{ responseId: string }>(
      'SELECT response_id AS "responseId" FROM onsite_commands WHERE command_id = ?',
      [commandId],
    );
    return r?.responseId;
  }

  /** Boxes that have not answered every command yet. */
  async silent(responseId: string): Promise<string[]> {
    const rows = await this.sql.all<{ d: string }>(
      `SELECT DISTINCT o.device_id AS d FROM onsite_commands o WHERE o.response_id = ?
         AND NOT EXISTS (SELECT 1 FROM command_results c WHERE c.command_id = o.command_id) ORDER BY o.device_id`,
      [responseId],
    );
    return rows.map((r) => r.d);
  }

  async isTracked(responseId: string): Promise<boolean> {
    const r = await this.sql.get('SELECT 1 AS x FROM onsite_commands WHERE response_id = ? LIMIT 1', [responseId]);
    return r !== undefined;
  }

  /** Who stayed silent and what the boxes that refused said. */
  async outcome(responseId: string): Promise<{ silent: string[]; trouble: string[] }> {
    const silent = await this.silent(responseId);
    const refused = await this.sql.all<{ d: string; name: string; why: string | null }>(
      `SELECT c.device_id AS d, c.name, coalesce(c.message, c.code) AS why FROM onsite_commands o
         JOIN command_results c ON c.command_id = o.command_id WHERE o.response_id = ? AND c.ok = 0 ORDER BY o.command_id`,
      [responseId],
    );
    return { silent, trouble: refused.map((r) => `${r.d} ${r.name}: ${r.why}`) };
  }

  /**
   * Stop waiting, once the response has moved on (done or failed): a worker killed in between
   * leaves rows behind for a finished response, which nothing reads, never a response still
   * waiting with nothing to wait on.
   */
  async forget(responseId: string): Promise<void> {
    await this.sql.run('DELETE FROM onsite_commands WHERE response_id = ?', [responseId]);
  }
}
