import type Database from 'better-sqlite3-multiple-ciphers';
import type { SelfTestReport, SelfTestSummary } from '../../protocols/index.ts';

export type SelfTestRow = SelfTestSummary;

/** Self-test reports the boxes sent, attached to the device record. */
export class SelfTests {
  constructor(private readonly db: Database.Database) {}

  async list(deviceId: string, limit = 20): Promise<SelfTestRow[]> {
    const rows = this.db
      .prepare(
        'SELECT body, received_at AS receivedAt FROM selftests WHERE device_id = ? ORDER BY received_at DESC, id DESC LIMIT ?',
      )
      .all(deviceId, limit) as Array<{
      body: string;
      receivedAt: string;
    }>;
    return rows.map((r) => toRow(JSON.parse(r.body) as SelfTestReport, r.receivedAt));
  }

  async get(id: string): Promise<SelfTestReport | undefined> {
    const r = this.db.prepare('SELECT body FROM selftests WHERE id = ?').get(id) as { body: string } | undefined;
    return r && (JSON.parse(r.body) as SelfTestReport);
  }

  /** The newest passing self-test received after `since`, if any. */
  async passedSince(deviceId: string, since: string): Promise<SelfTestRow | undefined> {
    const r = this.db
      .prepare(
        'SELECT body, received_at AS receivedAt FROM selftests WHERE device_id = ? AND ok = 1 AND received_at > ? ORDER BY received_at DESC LIMIT 1',
      )
      .get(deviceId, since) as { body: string; receivedAt: string } | undefined;
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
