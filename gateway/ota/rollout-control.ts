import type { OtaStore, Rollout, RolloutState } from './ota-store.ts';

export const ROLLOUT_ACTIONS = ['pause', 'resume', 'cancel'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

const DONE: Record<RolloutAction, string> = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' };

/** Which states each move may come from, and where it goes. */
const MOVES: Record<RolloutAction, { from: RolloutState[]; to: RolloutState }> = {
  // No box gets the command while paused; boxes that have it go on and report.
  pause: { from: ['canary', 'rolling'], to: 'paused' },
  // Back in the canary stage: the engine moves on at once if every canary is healthy, or halts on a bad one.
  resume: { from: ['paused'], to: 'canary' },
  // The boxes still waiting never get it; a halted rollout can be cancelled to close it.
  cancel: { from: ['canary', 'rolling', 'paused', 'halted'], to: 'cancelled' },
};

export class RolloutControlError extends Error {
  constructor(
    readonly code: 'no_rollout' | 'wrong_state',
    message: string,
  ) {
    super(message);
  }
}

/** Pause, resume or cancel a rollout (API and CLI alike); the leading worker's engine follows on its next tick. */
export async function controlRollout(
  store: OtaStore,
  id: string,
  action: RolloutAction,
  o: { by: string; at: string },
): Promise<Rollout> {
  const r = await store.rollout(id);
  if (!r) throw new RolloutControlError('no_rollout', `no rollout ${id}`);
  const m = MOVES[action];
  const moved = await store.moveRollout(
    id,
    m.from,
    m.to,
    o.at,
    action === 'resume' ? null : `${DONE[action]} by ${o.by}`,
  );
  if (!moved)
    throw new RolloutControlError(
      'wrong_state',
      `rollout ${id} is ${(await store.rollout(id))?.state ?? r.state}: only a ${m.from.join(' or ')} one can be ${DONE[action]}`,
    );
  return (await store.rollout(id))!;
}
