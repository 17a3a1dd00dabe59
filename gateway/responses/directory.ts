import { Type, type Static } from '@sinclair/typebox';

const Phone = Type.String({ pattern: '^\\+?[0-9 -]{5,20}$', description: 'a phone number, e.g. +8613800000000' });
const ChannelRef = Type.String({ pattern: '^[a-z][a-z0-9_-]*$', description: 'a name under channels:' });

/** A cadre or grid worker (网格员) who answers for one village; village "*" answers for the rest. */
export const VillageContact = Type.Object(
  {
    village: Type.String({ minLength: 1 }),
    township: Type.Optional(Type.String({ minLength: 1 })),
    name: Type.String({ minLength: 1 }),
    phone: Type.Optional(Phone),
    /** Reach this person on another channel than the plan's (e.g. SMS for a village without the app). */
    channel: Type.Optional(ChannelRef),
  },
  { additionalProperties: false },
);

/** The police duty squad (值班) for an area (a township); area "*" covers the rest of the county. */
export const PoliceContact = Type.Object(
  {
    area: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    phone: Type.Optional(Phone),
    channel: Type.Optional(ChannelRef),
  },
  { additionalProperties: false },
);

export const DirectoryConfig = Type.Object(
  { village: Type.Optional(Type.Array(VillageContact)), police: Type.Optional(Type.Array(PoliceContact)) },
  { additionalProperties: false },
);
export type DirectoryConfig = Static<typeof DirectoryConfig>;

/** Who a notification is for, and why that person. */
export interface Recipient {
  role: 'village' | 'police';
  name: string;
  phone?: string;
  channel?: string;
  /** How the gateway chose this person, for the record and the receiver. */
  routedBy: string;
}

/** Where the alarm is and whose vehicle it was: what the directory routes on. */
export interface RoutingFacts {
  device?: { township?: string; village?: string };
  /** The archive's owner record, when the plate matched. */
  owner?: { township?: string | null; village?: string | null; plate?: string };
}

/**
 * Looks up who receives the village and police responses: the cadre of the vehicle owner's
 * village (from the archive), else of the box's own village, else the county-wide fallback; the
 * duty squad of the box's township, else the fallback. Undefined when nobody is on file: the
 * notification still goes to the plan's channel, which routes on its own.
 */
export class Directory {
  constructor(private readonly d: DirectoryConfig = {}) {}

  village(f: RoutingFacts): Recipient | undefined {
    const tries: Array<[{ township?: string | null; village?: string | null } | undefined, string]> = [
      [f.owner, `owner's village${f.owner?.plate ? ` (archive, plate ${f.owner.plate})` : ''}`],
      [f.device, "the box's own village (owner unknown)"],
    ];
    for (const [place, why] of tries) {
      if (!place?.village) continue;
      const c = this.d.village?.find(
        (v) => v.village === place.village && (!v.township || !place.township || v.township === place.township),
      );
      if (c)
        return {
          role: 'village',
          name: c.name,
          phone: c.phone,
          channel: c.channel,
          routedBy: `${why}: ${place.township ? `${place.township} ` : ''}${place.village}`,
        };
    }
    const any = this.d.village?.find((v) => v.village === '*');
    return (
      any && {
        role: 'village',
        name: any.name,
        phone: any.phone,
        channel: any.channel,
        routedBy: 'county-wide fallback (no cadre on file for the village)',
      }
    );
  }

  police(f: RoutingFacts): Recipient | undefined {
    const area = f.device?.township;
    const c = area ? this.d.police?.find((p) => p.area === area) : undefined;
    if (c)
      return { role: 'police', name: c.name, phone: c.phone, channel: c.channel, routedBy: `duty squad for ${area}` };
    const any = this.d.police?.find((p) => p.area === '*');
    return (
      any && {
        role: 'police',
        name: any.name,
        phone: any.phone,
        channel: any.channel,
        routedBy: `county-wide duty squad (no squad on file for ${area ?? "the box's area"})`,
      }
    );
  }

  /** Channel names the directory refers to, for config checks. */
  channelRefs(): Array<[string, string]> {
    return [
      ...(this.d.village ?? []).flatMap((v, i) =>
        v.channel ? [[`directory.village.${i}.channel`, v.channel] as [string, string]] : [],
      ),
      ...(this.d.police ?? []).flatMap((p, i) =>
        p.channel ? [[`directory.police.${i}.channel`, p.channel] as [string, string]] : [],
      ),
    ];
  }
}
