import { ALARM_KINDS, type AlarmKind } from '../../protocols/index.ts';
import { planFor, type ResponsesConfig } from './response-plan.ts';

/**
 * What a gateway does with no `responses:` in its config: every offence a camera reports opens a
 * case; the box flashes and plays its warning clip (clip 2, the passengers warning on the stock SD
 * card), and the village and police responses wait on the dashboard for someone to acknowledge
 * them, as no channel to reach people outside it is configured yet. Faults, tampering, presence and
 * weather are not offences: they go to tickets and the device pages, not to cases.
 */
export const DEFAULT_RESPONSES: ResponsesConfig = {
  channels: { dashboard: { type: 'dashboard' } },
  plans: [
    {
      kinds: ['tricycle_passengers', 'minivan_overload', 'no_helmet'],
      onsite: { light: { mode: 'flash', periodMs: 300, durationS: 60 }, voice: { clip: 2, times: 2 }, confirmS: 30 },
      village: { channel: 'dashboard', ackDeadlineS: 24 * 3600 },
      police: { channel: 'dashboard', ackDeadlineS: 30 * 60 },
    },
  ],
};

export interface ResponsesInForce {
  plans: ResponsesConfig;
  /** No `responses:` in the config: the default plan. */
  isDefault: boolean;
}

/** The plans a gateway runs on: the config's, or the default when it has no `responses:`. */
export function responsesInForce(c: { responses?: ResponsesConfig }): ResponsesInForce {
  return { plans: c.responses ?? DEFAULT_RESPONSES, isDefault: !c.responses };
}

/** Alarm kinds no plan covers: such an alarm is stored but opens no case. */
export function uncoveredKinds(c: ResponsesConfig): AlarmKind[] {
  return ALARM_KINDS.filter((k) => !planFor(c, k));
}

/** One line a county admin reads at start: which plans, over which channels, and what is left out. */
export function describeResponses({ plans: c, isDefault }: ResponsesInForce): string {
  const plans = c.plans
    .map((p) => `${p.kinds.join('/')} → village via ${p.village.channel}, police via ${p.police.channel}`)
    .join('; ');
  const channels = Object.entries(c.channels)
    .map(([name, ch]) => `${name} (${ch.type})`)
    .join(', ');
  const left = uncoveredKinds(c);
  return `${isDefault ? 'default response plan (no responses: in the config; people are told on the dashboard only)' : `${c.plans.length} response plan${c.plans.length === 1 ? '' : 's'}`}: ${plans}; channels ${channels}${left.length ? `; no case for ${left.join(', ')}` : ''}`;
}
