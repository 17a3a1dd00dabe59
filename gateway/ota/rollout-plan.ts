import type { OtaStore, Rollout } from './ota-store.ts';

export class RolloutError extends Error {
  constructor(
    readonly code: 'no_bundle' | 'no_devices',
    message: string,
  ) {
    super(message);
  }
}

export interface RolloutRequest {
  id: string;
  at: string;
  /** SHA-256 or name of a published bundle */
  bundle: string;
  devices: string[];
  canaryPercent?: number;
  defaultPercent: number;
  by: string;
}

/**
 * A rollout written down (the API and the CLI both): its boxes in the given order, the first
 * ⌈n × canary %⌉ (at least one) in the canary stage; all of them canaries means one stage.
 */
export async function planRollout(store: OtaStore, r: RolloutRequest): Promise<Rollout> {
  const bundle = await store.bundle(r.bundle);
  if (!bundle) throw new RolloutError('no_bundle', `no published bundle ${r.bundle} (gateway ota publish)`);
  const devices = [...new Set(r.devices)];
  if (!devices.length) throw new RolloutError('no_devices', 'no boxes to update');
  const pct = r.canaryPercent ?? r.defaultPercent;
  const canary = Math.max(1, Math.ceil((devices.length * pct) / 100));
  const rollout: Rollout = {
    id: r.id,
    sha256: bundle.sha256,
    state: canary >= devices.length ? 'rolling' : 'canary',
    canaryPercent: pct,
    createdAt: r.at,
    createdBy: r.by,
    updatedAt: r.at,
    haltedReason: null,
  };
  await store.createRollout(rollout, devices, canary);
  return rollout;
}
