import type Database from 'better-sqlite3-multiple-ciphers';
import { distanceM } from './geo.ts';
import type { DevicePlace } from '../../protocols/index.ts';

/** What the county records about a box (一路一档: which road file it belongs to). */
export interface DeviceMeta extends DevicePlace {
  hardware?: Record<string, unknown>;
  /** 一灯一带 / 慈善+交安: who paid for the light, and the public thank-you. */
  donor?: { name?: string; amount?: number; date?: string; thanks?: string; anonymous?: boolean };
}

export interface DeviceRecord extends DeviceMeta {
  state: string;
  lastSeen: string | null;
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
  constructor(private readonly db: Database.Database) {}

  /** Set the given fields, keep the others. */
  async upsert(m: DeviceMeta): Promise<void> {
    this.write(m);
  }

  private write(m: DeviceMeta): void {
    if (m.lat !== undefined && !(m.lat >= -90 && m.lat <= 90)) throw new Error(`latitude ${m.lat} is outside −90…90`);
    if (m.lon !== undefined && !(m.lon >= -180 && m.lon <= 180))
      throw new Error(`longitude ${m.lon} is outside −180…180`);
    this.db.prepare('INSERT OR IGNORE INTO devices (id) VALUES (?)').run(m.id);
    this.db
      .prepare(
        `UPDATE devices SET name = coalesce(@name, name), road = coalesce(@road, road), crossing = coalesce(@crossing, crossing),
           township = coalesce(@township, township), village = coalesce(@village, village), lat = coalesce(@lat, lat), lon = coalesce(@lon, lon),
           hardware = coalesce(@hardware, hardware), donor = coalesce(@donor, donor) WHERE id = @id`,
      )
      .run({
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
      });
  }

  async get(id: string): Promise<DeviceRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return row && toRecord(row);
  }

  async list(): Promise<DeviceRecord[]> {
    return (this.db.prepare('SELECT * FROM devices ORDER BY id').all() as Array<Record<string, unknown>>).map(toRecord);
  }

  async countOnline(): Promise<number> {
    return (this.db.prepare("SELECT count(*) AS n FROM devices WHERE state = 'online'").get() as { n: number }).n;
  }

  /** Boxes last heard before `cutoff` (ISO time); a box never heard from is not among them. */
  async silentSince(cutoff: string): Promise<Array<{ id: string; lastSeen: string }>> {
    return this.db
      .prepare('SELECT id, last_seen AS lastSeen FROM devices WHERE last_seen IS NOT NULL AND last_seen < ?')
      .all(cutoff) as Array<{ id: string; lastSeen: string }>;
  }

  /** A commissioned box: its record, and who commissioned it, when, and how its position was found. */
  async commission(
    m: DeviceMeta,
    commissioned: { at: string; by: string; registeredBy: string; position?: unknown },
  ): Promise<void> {
    this.db.transaction(() => {
      this.write(m);
      this.db.prepare('UPDATE devices SET commissioned = ? WHERE id = ?').run(JSON.stringify(commissioned), m.id);
    })();
  }

  /** A box's place in words (name, road, crossing, township, village): what a notification names. */
  async place(id: string): Promise<DevicePlace | undefined> {
    const r = this.db.prepare('SELECT id, name, road, crossing, township, village FROM devices WHERE id = ?').get(id) as
      | Record<string, string | null>
      | undefined;
    if (!r) return undefined;
    return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as unknown as DevicePlace;
  }

  /** Where a box is (for scope checks on every MQTT delivery): its village and township, or undefined for an unknown box. */
  placeOf(id: string): { village: string | null; township: string | null } | undefined {
    return this.db.prepare('SELECT village, township FROM devices WHERE id = ?').get(id) as
      | { village: string | null; township: string | null }
      | undefined;
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

export function toRecord(r: Record<string, unknown>): DeviceRecord {
  const d: DeviceRecord = {
    id: String(r.id),
    state: String(r.state),
    lastSeen: (r.last_seen as string | null) ?? null,
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
