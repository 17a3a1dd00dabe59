import type { RepeatOffender, WeeklyRow } from '../../protocols/index.ts';
import { maskPlate, scopeClause, scopeParams, seesPersonalData, type Viewer } from '../access/viewer.ts';
import type { SqlDatabase } from '../store/sql.ts';

/**
 * Reports in the viewer's scope: cases per week (from Monday at the county's midnight), township,
 * village and kind; repeat offenders by plate, masked unless the viewer may see plates and asks.
 */
export class ReportQuery {
  /** `utcOffsetHours`: where the county's midnight is (China Standard Time: 8). */
  constructor(
    private readonly sql: SqlDatabase,
    private readonly utcOffsetHours: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async weekly(v: Viewer, weeks: number): Promise<WeeklyRow[]> {
    const d = this.sql.dialect;
    return this.sql.all<WeeklyRow>(
      `SELECT ${d.weekOf('c.opened_at', '@shift')} AS week, d.township, d.village, c.kind, count(*) AS cases
       FROM cases c LEFT JOIN devices d ON d.id = c.device_id
       WHERE c.opened_at >= @since AND ${scopeClause(d, 'c.device_id', 'c.vehicle_id')}
       GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      { shift: `${this.utcOffsetHours * 60} minutes`, since: this.ago(weeks * 7), ...scopeParams(v) },
    );
  }

  /** Plates with at least `min` cases in `days`; in full only when asked by a viewer who may see plates. */
  async offenders(v: Viewer, o: { days: number; min: number; full: boolean }): Promise<RepeatOffender[]> {
    const full = o.full && seesPersonalData(v);
    const d = this.sql.dialect;
    const plate = `coalesce(v.plate, ${d.jsonText('e.body', 'data.plate')})`;
    const rows = await this.sql.all<Omit<RepeatOffender, 'masked' | 'seenAt'> & { seenAt: string | null }>(
      `SELECT ${plate} AS plate, max(v.id) AS "vehicleId", max(v.owner_name) AS owner, max(v.village) AS "ownerVillage",
         count(*) AS cases, max(c.opened_at) AS "lastAt", ${d.distinctList('coalesce(d.village, d.township, d.id)')} AS "seenAt"
       FROM cases c JOIN events e ON e.id = c.event_id LEFT JOIN vehicles v ON v.id = c.vehicle_id LEFT JOIN devices d ON d.id = c.device_id
       WHERE c.opened_at >= @since AND ${plate} IS NOT NULL AND ${scopeClause(d, 'c.device_id', 'c.vehicle_id')}
       GROUP BY 1 HAVING count(*) >= @min ORDER BY cases DESC, "lastAt" DESC LIMIT 200`,
      { since: this.ago(o.days), min: o.min, ...scopeParams(v) },
    );
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
