import type { ResponseKind, ResponseState } from '../../protocols/index.ts';

export type { ResponseKind, ResponseState };

/** The three responses of 一报警三响应. */
export const RESPONSE_KINDS = ['onsite', 'village', 'police'] as const satisfies readonly ResponseKind[];

export const RESPONSE_STATES = [
  'pending',
  'sent',
  'acknowledged',
  'done',
  'failed',
  'escalated',
  'waived',
] as const satisfies readonly ResponseState[];

/**
 * Allowed moves. A response is finished when done or waived; a failed one can be retried
 * (back to pending) or waived; an escalated one still waits for someone to acknowledge it.
 */
const NEXT: Record<ResponseState, readonly ResponseState[]> = {
  pending: ['sent', 'failed', 'done', 'waived'],
  sent: ['acknowledged', 'done', 'failed', 'escalated', 'waived'],
  acknowledged: ['done', 'failed', 'waived'],
  escalated: ['sent', 'acknowledged', 'done', 'failed', 'waived'],
  failed: ['pending', 'waived'],
  done: [],
  waived: [],
};

export const isFinished = (s: ResponseState): boolean => s === 'done' || s === 'waived';

export class TransitionError extends Error {
  override readonly name = 'TransitionError';
  readonly code = 'bad_transition';
}

export function checkTransition(kind: ResponseKind, from: ResponseState, to: ResponseState): void {
  if (!NEXT[from].includes(to)) {
    const allowed = NEXT[from].length ? NEXT[from].join(', ') : 'nothing (it is finished)';
    throw new TransitionError(`the ${kind} response is ${from}; it can go to ${allowed}, not ${to}`);
  }
}
