import { Type, type Static } from '@sinclair/typebox';
import { MessageId, envelope } from './envelope.ts';
import { EventData } from './event-data.ts';

export const ALARM_KINDS = [
  'tricycle_passengers',
  'minivan_overload',
  'no_helmet',
  'presence',
  'fault',
  'tamper',
  'weather',
] as const;
export const AlarmKind = Type.Union(ALARM_KINDS.map((k) => Type.Literal(k)));
export type AlarmKind = (typeof ALARM_KINDS)[number];

export const GeoPoint = Type.Object(
  { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
);

export const EventMessage = envelope({
  kind: AlarmKind,
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('alarm')]),
  source: Type.Union([
    Type.Literal('sensor'),
    Type.Literal('vision'),
    Type.Literal('schedule'),
    Type.Literal('command'),
    Type.Literal('health'),
  ]),
  /** The capture/track this event belongs to: re-sent or repeated frames of one incident share it. */
  incidentId: Type.Optional(MessageId),
  evidenceId: Type.Optional(MessageId),
  location: Type.Optional(GeoPoint),
  /** What the box did on the spot, so the centre knows the on-site response already started. */
  localActions: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
  /** What was recognised (event-data.ts). */
  data: Type.Optional(EventData),
});
export type EventMessage = Omit<Static<typeof EventMessage>, 'data'> & { data?: EventData };
