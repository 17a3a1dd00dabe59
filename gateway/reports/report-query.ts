import { SQLITE } from '../store/sql-dialect.ts';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { RepeatOffender, WeeklyRow } from '../../protocols/index.ts';
import { maskPlate, scopeClause, scopeParams, seesPersonalData, type Viewer } from '../access/viewer.ts';

/**
 * Reports in the viewer's scope: cases per week (from Monday at the county's midnight), township,
 * village and kind; repeat offenders by plate, masked unless the viewer may see plates and asks.
 */
export class ReportQuery {
  /** `utcOffsetHours`: where the county's midnight is (China Standard Time: 8). */
  constructor(
    private readonly db: Database.Database,
    private readonly utcOffsetHours: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async weekly(v: Viewer, weeks: number): Promise<WeeklyRow[]> {
    return this.db
      .prepare(
        `SELECT date(c.opened_at, @shift, '-6 days', 'weekday 1') AS week, d.township, d.village, c.kind, count(*) AS cases
         FROM cases c LEFT JOIN devices d ON d.id = c.device_id
         WHERE c.opened_at >= @since AND ${scopeClause(SQLITE, 'c.device_id', 'c.vehicle_id')}
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      )
      .all({
        shift: `${this.utcOffsetHours * 60} minutes`,
        since: this.ago(weeks * 7),
        ...scopeParams(v),
      }) as WeeklyRow[];
  }

  /** Plates with at least `min` cases in `days`; in full only when asked by a viewer who may see plates. */
  async offenders(v: Viewer, o: { days: number; min: number; full: boolean }): Promise<RepeatOffender[]> {
    const full = o.full && seesPersonalData(v);
    const rows = this.db
      .prepare(
        `SELECT coalesce(v.plate, json_extract(e.body, '$.data.plate')) AS plate, v.id AS vehicleId, v.owner_name AS owner, v.village AS ownerVillage,
           count(*) AS cases, max(c.opened_at) AS lastAt, group_concat(DISTINCT coalesce(d.village, d.township, d.id)) AS seenAt
         FROM cases c JOIN events e ON e.id = c.event_id LEFT JOIN vehicles v ON v.id = c.vehicle_id LEFT JOIN devices d ON d.id = c.device_id
         WHERE c.opened_at >= @since AND coalesce(v.plate, json_extract(e.body, '$.data.plate')) IS NOT NULL AND ${scopeClause(SQLITE, 'c.device_id', 'c.vehicle_id')}
         GROUP BY 1 HAVING count(*) >= @min ORDER BY cases DESC, lastAt DESC LIMIT 200`,
      )
      .all({ since: this.ago(o.days), min: o.min, ...scopeParams(v) }) as Array<
      Omit<RepeatOffender, 'masked' | 'seenAt'> & { seenAt: string | null }
    >;
    return rows.map((r) => ({
      ...r,
      plate: full ? r.plate : maskPlate(r.plate),
      masked: !full,
      owner: full ? r.owner : null,
      seenAt: r.seenAt ? r.seenAt.split(',') : [],
    }));
  }

  private ago(days: number): string {
    return new Date(this.now().getTime() - days * 86_400_000).toISOString();
  }
}
