import { Type, type Static } from '@sinclair/typebox';
import { ALARM_KINDS } from '../../protocols/index.ts';
import { Directory, DirectoryConfig } from './directory.ts';

const ChannelRef = Type.String({ pattern: '^[a-z][a-z0-9_-]*$', description: 'a name under channels:' });

/** How the three responses go for some alarm kinds. */
export const ResponsePlan = Type.Object(
  {
    kinds: Type.Array(Type.Union(ALARM_KINDS.map((k) => Type.Literal(k))), { minItems: 1 }),
    onsite: Type.Object(
      {
        light: Type.Optional(
          Type.Object(
            {
              mode: Type.Union([Type.Literal('flash'), Type.Literal('on')]),
              periodMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 10_000 })),
              durationS: Type.Optional(Type.Number({ minimum: 1, maximum: 3600 })),
            },
            { additionalProperties: false },
          ),
        ),
        voice: Type.Optional(
          Type.Object(
            {
              clip: Type.Integer({ minimum: 1, maximum: 2999 }),
              times: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
            },
            { additionalProperties: false },
          ),
        ),
        /** The box must confirm within this time, or the on-site response fails. */
        confirmS: Type.Optional(Type.Number({ minimum: 1 })),
        /** Also warn from the boxes on the same road (一路一档) within this many metres. */
        neighboursWithinM: Type.Optional(Type.Number({ minimum: 1, maximum: 20_000 })),
      },
      { additionalProperties: false },
    ),
    village: Type.Object(
      {
        channel: ChannelRef,
        ackDeadlineS: Type.Number({ minimum: 1 }),
        escalateTo: Type.Optional(ChannelRef),
        remindEveryS: Type.Optional(Type.Number({ minimum: 1 })),
      },
      { additionalProperties: false },
    ),
    police: Type.Object(
      {
        channel: ChannelRef,
        ackDeadlineS: Type.Number({ minimum: 1 }),
        escalateTo: Type.Optional(ChannelRef),
        remindEveryS: Type.Optional(Type.Number({ minimum: 1 })),
      },
      { additionalProperties: false },
    ),
    /** Repeat offenders: the Nth case of the same vehicle within the window sends the grid worker in person. */
    repeat: Type.Optional(
      Type.Object(
        {
          count: Type.Integer({ minimum: 2 }),
          withinDays: Type.Number({ minimum: 1 }),
          action: Type.Optional(Type.String({ description: 'what the village notification asks for' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ResponsePlan = Static<typeof ResponsePlan>;

/** At most this many notifications to one receiver in any hour; the rest go out as one digest. */
const PerHour = Type.Integer({ minimum: 1, maximum: 1000 });

const Retry = {
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
  attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  perRecipientPerHour: Type.Optional(PerHour),
};

export const ChannelConfig = Type.Union([
  Type.Object(
    {
      type: Type.Literal('webhook'),
      url: Type.String({ pattern: '^https?://' }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${ENV} syntax, as the technician writes it
      secret: Type.String({ minLength: 16, description: 'HMAC key; write ${ENV_NAME}' }),
      ...Retry,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('sms'),
      url: Type.String({ pattern: '^https?://', description: "the SMS gateway's send endpoint" }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${ENV} syntax, as the technician writes it
      token: Type.String({ minLength: 8, description: 'API token of the SMS gateway; write ${ENV_NAME}' }),
      sign: Type.String({ minLength: 2, maxLength: 12, description: 'registered SMS signature, e.g. 路卫' }),
      timeZone: Type.Optional(Type.String({ description: 'IANA zone for times in the text (default Asia/Shanghai)' })),
      ...Retry,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('mqtt'), perRecipientPerHour: Type.Optional(PerHour) },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('dashboard', { description: 'shown on the dashboard only, until someone acknowledges it' }) },
    { additionalProperties: false },
  ),
]);
export type ChannelConfig = Static<typeof ChannelConfig>;

export const ResponsesConfig = Type.Object(
  {
    channels: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }), ChannelConfig),
    plans: Type.Array(ResponsePlan, { minItems: 1 }),
    /** Who answers for which village, and which duty squad for which area. */
    directory: Type.Optional(DirectoryConfig),
    /**
     * At start, alarms stored this many hours back that have no case (the gateway stopped
     * between storing one and opening its case) get their case and responses now; older ones
     * are only counted in the log. Default 24.
     */
    reconcileWithinH: Type.Optional(Type.Number({ minimum: 0, maximum: 720 })),
  },
  { additionalProperties: false },
);
export type ResponsesConfig = Static<typeof ResponsesConfig>;

/** The plan for an alarm kind (the first that lists it), or undefined: not every event is an alarm. */
export function planFor(c: ResponsesConfig, kind: string): ResponsePlan | undefined {
  return c.plans.find((p) => (p.kinds as string[]).includes(kind));
}

/** Channel names used by plans and the directory must exist. */
export function checkPlans(c: ResponsesConfig, problems: string[]): void {
  const refs: Array<[string, string | undefined]> = c.plans.flatMap((p, i) => [
    [`plans.${i}.village.channel`, p.village.channel],
    [`plans.${i}.village.escalateTo`, p.village.escalateTo],
    [`plans.${i}.police.channel`, p.police.channel],
    [`plans.${i}.police.escalateTo`, p.police.escalateTo],
  ]);
  refs.push(...new Directory(c.directory).channelRefs());
  for (const [what, ref] of refs) {
    if (ref && !c.channels[ref])
      problems.push(
        `responses.${what}: no channel named "${ref}" (have: ${Object.keys(c.channels).join(', ') || 'none'})`,
      );
  }
}
