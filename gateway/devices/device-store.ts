import { distanceM } from './geo.ts';
import type { DevicePlace } from '../../protocols/index.ts';
import type { SqlDatabase, SqlQueryable } from '../store/sql.ts';

/** What the county records about a box (一路一档: which road file it belongs to). */
export interface DeviceMeta extends DevicePlace {
  hardware?: Record<string, unknown>;
  /** 一灯一带 / 慈善+交安: who paid for the light, and the public thank-you. */
  donor?: { name?: string; amount?: number; date?: string; thanks?: string; anonymous?: boolean };
}

export interface DeviceRecord extends DeviceMeta {
  state: string;
  lastSeen: string | null;
  /** what the box last said it runs (its status message): roadwarden-edge/<version> */
  firmware: string | null;
  flags: string[];
  configVersion: number | null;
  telemetryGaps: number;
  /** Set by `roadwarden commission`: when, by whom, and where the position came from. */
  commissioned?: {
    at: string;
    by: string;
    registeredBy: string;
    position?: { source: string; sats?: number; hdop?: number };
  };
}

/** The device registry: metadata from people, availability and health from the devices themselves. */
export class DeviceStore {
  constructor(
    private readonly sql: SqlDatabase,
    /** Told of each box written (once committed): the place cache takes it at once. */
    private readonly written: (m: DeviceMeta) => void = () => {},
  ) {}

  /** Set the given fields, keep the others. */
  async upsert(m: DeviceMeta): Promise<void> {
    await this.sql.transaction((tx) => write(tx, m));
    this.written(m);
  }

  async get(id: string): Promise<DeviceRecord | undefined> {
    const row = await this.sql.get<Record<string, unknown>>('SELECT * FROM devices WHERE id = ?', [id]);
    return row && toRecord(row);
  }

  async list(): Promise<DeviceRecord[]> {
    return (await this.sql.all<Record<string, unknown>>('SELECT * FROM devices ORDER BY id')).map(toRecord);
  }

  async countOnline(): Promise<number> {
    return (
      (await this.sql.get<{ n: number }>("SELECT count(*) AS n FROM devices WHERE state = 'online'")) as { n: number }
    ).n;
  }

  /** Boxes last heard before `cutoff` (ISO time); a box never heard from is not among them. */
  async silentSince(cutoff: string): Promise<Array<{ id: string; lastSeen: string }>> {
    return this.sql.all(
      'SELECT id, last_seen AS "lastSeen" FROM devices WHERE last_seen IS NOT NULL AND last_seen < ?',
      [cutoff],
    );
  }

  /** A commissioned box: its record, and who commissioned it, when, and how its position was found. */
  async commission(
    m: DeviceMeta,
    commissioned: { at: string; by: string; registeredBy: string; position?: unknown },
  ): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await write(tx, m);
      await tx.run('UPDATE devices SET commissioned = ? WHERE id = ?', [JSON.stringify(commissioned), m.id]);
    });
    this.written(m);
  }

  /** A box's place in words (name, road, crossing, township, village): what a notification names. */
  async place(id: string): Promise<DevicePlace | undefined> {
    const r = await this.sql.get<Record<string, string | null>>(
      'SELECT id, name, road, crossing, township, village FROM devices WHERE id = ?',
      [id],
    );
    if (!r) return undefined;
    return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as unknown as DevicePlace;
  }

  /** Every box's village and township (place-cache.ts keeps them for the broker's per-message checks). */
  async places(): Promise<Array<{ id: string; village: string | null; township: string | null }>> {
    return this.sql.all('SELECT id, village, township FROM devices');
  }

  /** Boxes on the same road (一路一档) within `withinM` metres of this one, nearest first. */
  async neighbours(id: string, withinM: number): Promise<Array<DeviceRecord & { distanceM: number }>> {
    const all = await this.list();
    const me = all.find((d) => d.id === id);
    if (!me?.road || me.lat === undefined || me.lon === undefined) return [];
    const here = { lat: me.lat, lon: me.lon };
    return all
      .filter((d) => d.id !== id && d.road === me.road && d.lat !== undefined && d.lon !== undefined)
      .map((d) => ({ ...d, distanceM: Math.round(distanceM(here, { lat: d.lat!, lon: d.lon! })) }))
      .filter((d) => d.distanceM <= withinM)
      .sort((a, b) => a.distanceM - b.distanceM);
  }
}

/** Set the given fields of a box, keep the others. */
async function write(tx: SqlQueryable, m: DeviceMeta): Promise<void> {
  if (m.lat !== undefined && !(m.lat >= -90 && m.lat <= 90)) throw new Error(`latitude ${m.lat} is outside −90…90`);
  if (m.lon !== undefined && !(m.lon >= -180 && m.lon <= 180))
    throw new Error(`longitude ${m.lon} is outside −180…180`);
  await tx.run('INSERT INTO devices (id) VALUES (?) ON CONFLICT DO NOTHING', [m.id]);
  await tx.run(
    `UPDATE devices SET name = coalesce(@name, name), road = coalesce(@road, road), crossing = coalesce(@crossing, crossing),
       township = coalesce(@township, township), village = coalesce(@village, village), lat = coalesce(@lat, lat), lon = coalesce(@lon, lon),
       hardware = coalesce(@hardware, hardware), donor = coalesce(@donor, donor) WHERE id = @id`,
    {
      id: m.id,
      name: m.name ?? null,
      road: m.road ?? null,
      crossing: m.crossing ?? null,
      township: m.township ?? null,
      village: m.village ?? null,
      lat: m.lat ?? null,
      lon: m.lon ?? null,
      hardware: m.hardware ? JSON.stringify(m.hardware) : null,
      donor: m.donor ? JSON.stringify(m.donor) : null,
    },
  );
}

export function toRecord(r: Record<string, unknown>): DeviceRecord {
  const d: DeviceRecord = {
    id: String(r.id),
    state: String(r.state),
    lastSeen: (r.last_seen as string | null) ?? null,
    firmware: (r.firmware as string | null) ?? null,
    flags: JSON.parse(String(r.flags ?? '[]')) as string[],
    configVersion: (r.config_version as number | null) ?? null,
    telemetryGaps: Number(r.telemetry_gaps ?? 0),
  };
  for (const k of ['name', 'road', 'crossing', 'township', 'village'] as const)
    if (r[k] !== null && r[k] !== undefined) d[k] = String(r[k]);
  if (r.lat !== null && r.lat !== undefined) d.lat = Number(r.lat);
  if (r.lon !== null && r.lon !== undefined) d.lon = Number(r.lon);
  if (r.hardware) d.hardware = JSON.parse(String(r.hardware)) as Record<string, unknown>;
  if (r.commissioned) d.commissioned = JSON.parse(String(r.commissioned)) as DeviceRecord['commissioned'];
  if (r.donor) d.donor = JSON.parse(String(r.donor)) as DeviceMeta['donor'];
  return d;
}
