import { parse } from 'csv-parse/sync';
import { normalizePlate, parsePlate, type ArchiveVehicle, type ImportReport } from '../../protocols/index.ts';
import type { SqlDatabase, SqlQueryable } from '../store/sql.ts';
import { confusionVariants, matchPlate, type PlateMatch } from './plate-match.ts';
import { archiveClause, scopeParams, archiveVisible, type Viewer } from '../access/viewer.ts';

export const VEHICLE_CLASSES = ['tricycle', 'minivan', 'motorcycle', 'car', 'truck', 'farm', 'other'] as const;
export type VehicleClass = (typeof VEHICLE_CLASSES)[number];

/** A vehicle on file; plateless ones have a registry id of their own (PL-…). */
export type Vehicle = Omit<ArchiveVehicle, 'class'> & { class: VehicleClass };

export type { ImportReport };

const COLUMNS = ['plate', 'class', 'owner_name', 'owner_phone', 'driver_name', 'township', 'village'];

/**
 * 三见面一建档: every rural tricycle and minivan, its owner and driver, on file. Plateless
 * vehicles (common among rural tricycles) get a registry id of their own so they can still be
 * matched (by face, later). Imports from CSV report every problem by line before committing.
 */
export class Archive {
  constructor(
    private readonly sql: SqlDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Validate a CSV; with commit, write the valid rows (all or nothing when any row is bad). */
  async importCsv(text: string, commit: boolean): Promise<ImportReport> {
    let records: Array<Record<string, string>>;
    const report: ImportReport = { rows: 0, valid: 0, added: 0, updated: 0, problems: [], committed: false };
    try {
      records = parse(text, {
        columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
        skip_empty_lines: true,
        trim: true,
        bom: true,
      });
    } catch (e) {
      report.problems.push({
        line: (e as { lines?: number }).lines ?? 0,
        errors: [`not valid CSV: ${(e as Error).message}`],
      });
      return report;
    }
    const header = records.length ? Object.keys(records[0]) : [];
    const missing = ['plate', 'class', 'village'].filter((c) => !header.includes(c));
    if (missing.length) {
      report.problems.push({
        line: 1,
        errors: [`missing column(s): ${missing.join(', ')} (columns: ${COLUMNS.join(', ')})`],
      });
      return report;
    }
    const rows: Array<Omit<Vehicle, 'id'> & { line: number }> = [];
    const seen = new Map<string, number>();
    records.forEach((r, i) => {
      const line = i + 2;
      const errors: string[] = [];
      const plateRaw = r.plate ?? '';
      let plate: string | null = null;
      if (plateRaw && !/^(无|无牌|none|-)$/i.test(plateRaw)) {
        const p = parsePlate(plateRaw);
        if (!p.ok) errors.push(p.error.message);
        else plate = p.value.text;
      }
      const cls = (r.class ?? '').toLowerCase();
      if (!(VEHICLE_CLASSES as readonly string[]).includes(cls))
        errors.push(`class "${r.class}" is not one of ${VEHICLE_CLASSES.join(', ')}`);
      if (r.owner_phone && !/^1\d{10}$/.test(r.owner_phone))
        errors.push(`owner_phone "${r.owner_phone}" is not an 11-digit mobile number`);
      if (!r.village) errors.push('village is empty (the village cadre is found by it)');
      if (!plate && !r.owner_name) errors.push('a plateless vehicle needs owner_name');
      if (plate && seen.has(plate)) errors.push(`plate ${plate} already on line ${seen.get(plate)}`);
      if (plate) seen.set(plate, line);
      if (errors.length) report.problems.push({ line, errors });
      else
        rows.push({
          line,
          plate,
          class: cls as VehicleClass,
          ownerName: r.owner_name || null,
          ownerPhone: r.owner_phone || null,
          driverName: r.driver_name || null,
          township: r.township || null,
          village: r.village || null,
        });
    });
    report.rows = records.length;
    report.valid = rows.length;
    if (!commit || report.problems.length) return report;
    const counts = await this.sql.transaction(async (tx) => {
      let added = 0;
      let updated = 0;
      let nextPlateless = await platelessCount(tx);
      for (const v of rows) {
        const existing = v.plate
          ? await tx.get<{ id: string }>('SELECT id FROM vehicles WHERE plate = ?', [v.plate])
          : undefined;
        const at = this.now().toISOString();
        if (existing) {
          await tx.run(
            'UPDATE vehicles SET class = ?, owner_name = ?, owner_phone = ?, driver_name = ?, township = ?, village = ?, updated_at = ? WHERE id = ?',
            [v.class, v.ownerName, v.ownerPhone, v.driverName, v.township, v.village, at, existing.id],
          );
          updated++;
        } else {
          // PL-000001…: the registry's own id for a vehicle without a plate.
          const id = v.plate ? `VP-${v.plate}` : `PL-${String(++nextPlateless).padStart(6, '0')}`;
          await tx.run(
            'INSERT INTO vehicles (id, plate, class, owner_name, owner_phone, driver_name, township, village, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [id, v.plate, v.class, v.ownerName, v.ownerPhone, v.driverName, v.township, v.village, at, at],
          );
          added++;
        }
      }
      return { added, updated };
    });
    report.added = counts.added;
    report.updated = counts.updated;
    report.committed = true;
    return report;
  }

  /** The vehicle a recognised plate belongs to, with how sure the match is; a cadre finds only their villagers. */
  async lookup(v: Viewer, read: string): Promise<(PlateMatch & { vehicle: Vehicle }) | undefined> {
    const text = normalizePlate(read);
    // The read and its OCR confusions in one query; every plate of its length only when none is on file.
    const candidates = [text, ...confusionVariants(text)];
    const known = new Set(
      (
        await this.sql.all<{ plate: string }>(
          `SELECT plate FROM vehicles WHERE plate IN (${candidates.map(() => '?').join(', ')})`,
          candidates,
        )
      ).map((r) => r.plate),
    );
    const sameLength = known.size
      ? []
      : (
          await this.sql.all<{ plate: string }>(
            'SELECT plate FROM vehicles WHERE plate IS NOT NULL AND length(plate) = ?',
            [[...text].length],
          )
        ).map((r) => r.plate);
    const m = matchPlate(
      text,
      (p) => known.has(p),
      () => sameLength,
    );
    const vehicle = m && (await this.sql.get<Vehicle>(`${SELECT} WHERE plate = ?`, [m.plate]));
    return vehicle && archiveVisible(v, vehicle.village) ? { ...m!, vehicle } : undefined;
  }

  /**
   * Vehicles whose plate or owner or driver contains `q` (plates compared normalised), within the
   * given villages when the searcher is a village cadre; the cases each had.
   */
  async search(v: Viewer, q: string, o: { limit?: number } = {}): Promise<Array<Vehicle & { cases: number }>> {
    const literal = (x: string) => `%${x.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const like = literal(q.trim());
    const plate = literal(normalizePlate(q));
    const d = this.sql.dialect;
    const l = d.ilike;
    return this.sql.all<Vehicle & { cases: number }>(
      `SELECT v.id, v.plate, v.class, v.owner_name AS "ownerName", v.owner_phone AS "ownerPhone", v.driver_name AS "driverName", v.township, v.village,
         (SELECT count(*) FROM cases c WHERE c.vehicle_id = v.id) AS cases
       FROM vehicles v
       WHERE (v.plate ${l} @plate ESCAPE '\\' OR v.owner_name ${l} @like ESCAPE '\\' OR v.driver_name ${l} @like ESCAPE '\\' OR v.village ${l} @like ESCAPE '\\')
         AND ${archiveClause(d, 'v.village')}
       ORDER BY v.plate LIMIT @limit`,
      { like, plate, limit: o.limit ?? 100, ...scopeParams(v) },
    );
  }

  async get(v: Viewer, id: string): Promise<Vehicle | undefined> {
    const found = await this.sql.get<Vehicle>(`${SELECT} WHERE id = ?`, [id]);
    return found && archiveVisible(v, found.village) ? found : undefined;
  }
}

/** The highest plateless registry number given so far. */
async function platelessCount(tx: SqlQueryable): Promise<number> {
  return (
    (await tx.get<{ n: number }>(
      "SELECT coalesce(max(CAST(substr(id, 4) AS INTEGER)), 0) AS n FROM vehicles WHERE id LIKE 'PL-%'",
    )) as { n: number }
  ).n;
}

const SELECT =
  'SELECT id, plate, class, owner_name AS "ownerName", owner_phone AS "ownerPhone", driver_name AS "driverName", township, village FROM vehicles';
