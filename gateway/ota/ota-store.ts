import type { OtaStatusMessage, SignedManifest } from '../../protocols/index.ts';
import type { SqlDatabase } from '../store/sql.ts';

export type RolloutState = 'canary' | 'rolling' | 'paused' | 'done' | 'halted' | 'cancelled';
/** A box in a rollout: waiting for its turn, pending (command sent), then what it reports; cancelled before its turn. */
export type TargetState = 'waiting' | 'pending' | OtaStatusMessage['state'] | 'cancelled';
export const ENDED: ReadonlySet<TargetState> = new Set(['healthy', 'rolled_back', 'failed', 'cancelled']);

export interface Bundle {
  sha256: string;
  name: string;
  version: string;
  size: number;
  signed: SignedManifest;
  publishedAt: string;
  publishedBy: string;
}

export interface Rollout {
  id: string;
  sha256: string;
  state: RolloutState;
  canaryPercent: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  haltedReason: string | null;
}

export interface Target {
  rolloutId: string;
  deviceId: string;
  stage: 'canary' | 'rest';
  state: TargetState;
  reason: string | null;
  commandId: string | null;
  sentAt: string | null;
  updatedAt: string;
}

const BUNDLE = `sha256, name, version, size, signed, published_at AS "publishedAt", published_by AS "publishedBy"`;
const ROLLOUT = `id, sha256, state, canary_percent AS "canaryPercent", created_at AS "createdAt", created_by AS "createdBy",
  updated_at AS "updatedAt", halted_reason AS "haltedReason"`;
const TARGET = `rollout_id AS "rolloutId", device_id AS "deviceId", stage, state, reason, command_id AS "commandId",
  sent_at AS "sentAt", updated_at AS "updatedAt"`;

const bundleOf = (r: Record<string, unknown>): Bundle => ({
  ...(r as unknown as Bundle),
  signed: JSON.parse(r.signed as string),
});

/** Agent updates: the bundles published, rollouts and every box's state in them, the boxes' reports. */
export class OtaStore {
  constructor(private readonly sql: SqlDatabase) {}

  async publish(b: Bundle): Promise<'published' | 'known'> {
    const r = await this.sql.run(
      `INSERT INTO ota_bundles (sha256, name, version, size, signed, published_at, published_by)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [b.sha256, b.name, b.version, b.size, JSON.stringify(b.signed), b.publishedAt, b.publishedBy],
    );
    return r.changes ? 'published' : 'known';
  }

  async bundle(shaOrName: string): Promise<Bundle | undefined> {
    const r = await this.sql.get<Record<string, unknown>>(
      `SELECT ${BUNDLE} FROM ota_bundles WHERE sha256 = ? OR name = ?`,
      [shaOrName, shaOrName],
    );
    return r ? bundleOf(r) : undefined;
  }

  async bundles(): Promise<Bundle[]> {
    return (
      await this.sql.all<Record<string, unknown>>(`SELECT ${BUNDLE} FROM ota_bundles ORDER BY published_at DESC`)
    ).map(bundleOf);
  }

  /** A rollout and its boxes, the first `canary` of them in the canary stage. */
  async createRollout(r: Rollout, devices: string[], canary: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO ota_rollouts (id, sha256, state, canary_percent, created_at, created_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [r.id, r.sha256, r.state, r.canaryPercent, r.createdAt, r.createdBy, r.updatedAt],
      );
      for (const [i, d] of devices.entries())
        await tx.run(
          `INSERT INTO ota_targets (rollout_id, device_id, stage, state, updated_at) VALUES (?, ?, ?, 'waiting', ?)`,
          [r.id, d, i < canary ? 'canary' : 'rest', r.createdAt],
        );
    });
  }

  rollout(id: string): Promise<Rollout | undefined> {
    return this.sql.get<Rollout>(`SELECT ${ROLLOUT} FROM ota_rollouts WHERE id = ?`, [id]);
  }

  rollouts(limit = 50): Promise<Rollout[]> {
    return this.sql.all<Rollout>(`SELECT ${ROLLOUT} FROM ota_rollouts ORDER BY created_at DESC, id DESC LIMIT ?`, [
      limit,
    ]);
  }

  active(): Promise<Rollout[]> {
    return this.sql.all<Rollout>(
      `SELECT ${ROLLOUT} FROM ota_rollouts WHERE state IN ('canary', 'rolling') ORDER BY id`,
    );
  }

  /**
   * A move of a rollout (a person's pause, resume, cancel; the engine's next stage), only from the
   * states it may come from: false when it was not in one (someone else got there first). `note`
   * is who and why it stopped, or null.
   */
  async moveRollout(
    id: string,
    from: RolloutState[],
    to: RolloutState,
    at: string,
    note: string | null,
  ): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const r = await tx.run(
        `UPDATE ota_rollouts SET state = ?, updated_at = ?, halted_reason = ? WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`,
        [to, at, note, id, ...from],
      );
      if (!r.changes) return false;
      // Boxes whose command went out go on (it cannot be recalled) and their reports still count.
      if (to === 'cancelled')
        await tx.run(
          `UPDATE ota_targets SET state = 'cancelled', updated_at = ? WHERE rollout_id = ? AND state = 'waiting'`,
          [at, id],
        );
      return true;
    });
  }

  targets(rolloutId: string): Promise<Target[]> {
    return this.sql.all<Target>(`SELECT ${TARGET} FROM ota_targets WHERE rollout_id = ? ORDER BY device_id`, [
      rolloutId,
    ]);
  }

  async sent(rolloutId: string, deviceId: string, commandId: string, at: string): Promise<void> {
    await this.sql.run(
      // The box may have reported already (it answers within milliseconds): its state stays.
      `UPDATE ota_targets SET state = CASE WHEN state = 'waiting' THEN 'pending' ELSE state END, command_id = ?, sent_at = ?,
         updated_at = CASE WHEN state = 'waiting' THEN ? ELSE updated_at END
       WHERE rollout_id = ? AND device_id = ?`,
      [commandId, at, at, rolloutId, deviceId],
    );
  }

  /**
   * A box's own word (stored by intake in ota_reports); an earlier report arriving late does not
   * undo a later one, nor an ended state.
   */
  async reported(m: OtaStatusMessage): Promise<void> {
    if (!m.rollout) return;
    await this.sql.run(
      `UPDATE ota_targets SET state = ?, reason = ?, updated_at = ?, reported_at = ?
         WHERE rollout_id = ? AND device_id = ? AND state NOT IN ('healthy', 'rolled_back', 'failed')
           AND (reported_at IS NULL OR reported_at <= ?)`,
      [m.state, m.reason ?? null, m.ts, m.ts, m.rollout, m.deviceId, m.ts],
    );
  }

  /** The gateway's own verdict on a box: its command refused, or no word within the time allowed. */
  async failed(rolloutId: string, deviceId: string, reason: string, at: string): Promise<void> {
    await this.sql.run(
      `UPDATE ota_targets SET state = 'failed', reason = ?, updated_at = ?
       WHERE rollout_id = ? AND device_id = ? AND state NOT IN ('healthy', 'rolled_back', 'failed')`,
      [reason, at, rolloutId, deviceId],
    );
  }

  byCommand(commandId: string): Promise<Target | undefined> {
    return this.sql.get<Target>(`SELECT ${TARGET} FROM ota_targets WHERE command_id = ?`, [commandId]);
  }
}
