import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { PLATE_COLOURS } from '../plate.ts';

/** A plate's background colour as the box judged it, or unknown when it could not tell. */
const PlateColourSchema = Type.Union([...PLATE_COLOURS, 'unknown' as const].map((c) => Type.Literal(c)));

const Why = Type.String({ maxLength: 200 });

/**
 * What the box recognised, inside an alarm: the rule that fired, the vehicle and its riders, the
 * plate as read (text, colour, score, or why none) and whether a face was described. Shared by the
 * box, which writes it, and the gateway, which reads alarms and reports through it.
 *
 * Firmware that knows more may add keys, but only flat ones (a string, number, boolean or null):
 * nothing nested, at most 32 keys, so a box cannot hand the centre a deep or huge object.
 */
export const EventData = Type.Object(
  {
    /** The box's rule that fired (edge.yaml `rules[].name`). */
    rule: Type.Optional(Type.String({ maxLength: 64 })),
    /** The presence sensor that triggered, for sensor events. */
    sensor: Type.Optional(Type.String({ maxLength: 64 })),
    /** Detector class of the offending vehicle: tricycle, minivan, motorcycle … */
    vehicle: Type.Optional(Type.String({ maxLength: 32 })),
    /** People on the vehicle, driver included. */
    riders: Type.Optional(Type.Integer({ minimum: 0, maximum: 99 })),
    /** How many frames of the vehicle's pass counted its riders; `riders` is their vote. */
    riderFrames: Type.Optional(Type.Integer({ minimum: 1, maximum: 9999 })),
    /** Why the rule judged it a violation, in words. */
    reason: Type.Optional(Why),
    /** The plate as read and normalised (鲁PA1234), or null when none could be read. */
    plate: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 16 }), Type.Null()])),
    plateColour: Type.Optional(PlateColourSchema),
    plateScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** The least sure character's probability: the plate is as sure as its weakest character. */
    plateConfidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /**
     * Positions (0-based, comma-separated: "0,6") of characters read below the box's threshold:
     * the plate is then a lead for people to check, and the centre neither routes by its owner nor
     * counts it as a repeat. Flat, as every field here.
     */
    plateUncertain: Type.Optional(Type.String({ pattern: '^\\d{1,2}(,\\d{1,2}){0,15}$' })),
    /** Why there is no plate (too small, not a valid plate, low score …). */
    plateReason: Type.Optional(Why),
    /** Whether the driver's face was found and described (the descriptor goes with the evidence). */
    face: Type.Optional(Type.Boolean()),
    faceReason: Type.Optional(Why),
  },
  {
    additionalProperties: Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean(), Type.Null()]),
    maxProperties: 32,
  },
);
/** The known fields, plus the flat extras the schema admits. */
export type EventData = Static<typeof EventData> & { [extra: string]: string | number | boolean | null | undefined };

const KNOWN = Object.entries(EventData.properties) as Array<[keyof EventData, TSchema]>;

/**
 * Reads stored event data through the schema: each known field that meets its schema, typed.
 * Alarms stored by older firmware (before the schema) keep whatever of theirs still fits.
 */
export function eventDataOf(value: unknown): EventData {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const d = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, schema] of KNOWN) if (d[k] !== undefined && Value.Check(schema, d[k])) out[k] = d[k];
  return out as EventData;
}

/** The uncertain positions of a plate as the box wrote them ("0,6" → [0, 6]). */
export const uncertainPositions = (d: EventData): number[] =>
  d.plateUncertain ? d.plateUncertain.split(',').map(Number) : [];
