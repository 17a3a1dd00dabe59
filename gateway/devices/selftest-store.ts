import type { SelfTestReport, SelfTestSummary } from '../../protocols/index.ts';
import type { SqlDatabase } from '../store/sql.ts';

export type SelfTestRow = SelfTestSummary;

/** Self-test reports the boxes sent, attached to the device record. */
export class SelfTests {
  constructor(private readonly sql: SqlDatabase) {}

  async list(deviceId: string, limit = 20): Promise<SelfTestRow[]> {
    const rows = await this.sql.all<{ body: string; receivedAt: string }>(
      'SELECT body, received_at AS "receivedAt" FROM selftests WHERE device_id = ? ORDER BY received_at DESC, id DESC LIMIT ?',
      [deviceId, limit],
    );
    return rows.map((r) => toRow(JSON.parse(r.body) as SelfTestReport, r.receivedAt));
  }

  async get(id: string): Promise<SelfTestReport | undefined> {
    const r = await this.sql.get<{ body: string }>('SELECT body FROM selftests WHERE id = ?', [id]);
    return r && (JSON.parse(r.body) as SelfTestReport);
  }

  /** The newest passing self-test received after `since`, if any. */
  async passedSince(deviceId: string, since: string): Promise<SelfTestRow | undefined> {
    const r = await this.sql.get<{ body: string; receivedAt: string }>(
      'SELECT body, received_at AS "receivedAt" FROM selftests WHERE device_id = ? AND ok = 1 AND received_at > ? ORDER BY received_at DESC LIMIT 1',
      [deviceId, since],
    );
    return r && toRow(JSON.parse(r.body) as SelfTestReport, r.receivedAt);
  }
}

function toRow(m: SelfTestReport, receivedAt: string): SelfTestRow {
  return {
    id: m.id,
    ts: m.ts,
    receivedAt,
    ok: m.ok,
    by: m.by,
    trigger: m.trigger,
    failed: m.checks.filter((c) => !c.ok).map((c) => `${c.device}: ${c.check} — ${c.message}`),
  };
}
