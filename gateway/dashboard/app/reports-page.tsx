import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { DataTable } from './components.tsx';
import { kindLabel, t, time } from './i18n.ts';
import type { Me, Offender, WeeklyRow } from './types.ts';

const PALETTE = ['#1565c0', '#ef6c00', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#827717', '#4e342e'];

/**
 * The Mondays of the last `n` weeks in the browser's time (the county's, like the gateway's
 * reports.utcOffsetHours), oldest first: the chart's axis, with empty weeks shown as such.
 */
function mondays(n: number): string[] {
  const d = new Date();
  d.setHours(12, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  const day = (x: Date) =>
    `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, '0')}-${String(x.getDate()).padStart(2, '0')}`;
  return Array.from({ length: n }, (_, i) => {
    const m = new Date(d);
    m.setDate(d.getDate() - (n - 1 - i) * 7);
    return day(m);
  });
}

/** Cases per week as stacked bars, one colour per township: where people would rather look than read. */
function WeeklyChart({ rows, span }: { rows: WeeklyRow[]; span: number }) {
  const weeks = [...new Set([...mondays(span), ...rows.map((r) => r.week)])].sort();
  const townships = [...new Set(rows.map((r) => r.township ?? '—'))].sort();
  const total = (w: string, tw?: string) =>
    rows
      .filter((r) => r.week === w && (tw === undefined || (r.township ?? '—') === tw))
      .reduce((s, r) => s + r.cases, 0);
  const max = Math.max(1, ...weeks.map((w) => total(w)));
  const [W, H, pad] = [760, 220, 30];
  const bw = Math.min(48, (W - pad) / Math.max(1, weeks.length) - 6);
  return (
    <figure class="chart" data-testid="weekly-chart">
      <svg viewBox={`0 0 ${W} ${H + 40}`}>
        <title>{t('casesPerWeek')}</title>
        {weeks.map((w, i) => {
          let y = H;
          const x = pad + i * ((W - pad) / weeks.length);
          return (
            <g key={w}>
              {townships.map((tw, k) => {
                const h = (total(w, tw) / max) * (H - 10);
                y -= h;
                return h > 0 ? (
                  <rect
                    key={tw}
                    x={x}
                    y={y}
                    width={bw}
                    height={h}
                    fill={PALETTE[k % PALETTE.length]}
                    data-week={w}
                    data-township={tw}
                    data-cases={total(w, tw)}
                  />
                ) : null;
              })}
              <text x={x + bw / 2} y={H - (total(w) / max) * (H - 10) - 4} class="bar-total">
                {total(w)}
              </text>
              <text x={x + bw / 2} y={H + 16} class="bar-label">
                {w.slice(5)}
              </text>
            </g>
          );
        })}
        <line x1={pad - 4} y1={H} x2={W} y2={H} stroke="#999" />
      </svg>
      <figcaption>
        {townships.map((tw, k) => (
          <span key={tw} class="legend">
            <i style={{ background: PALETTE[k % PALETTE.length] }} /> {tw}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export function ReportsPage({ me }: { me: Me }) {
  const [weeks, setWeeks] = useState(12);
  const [rows, setRows] = useState<WeeklyRow[] | null>(null);
  const [full, setFull] = useState(false);
  const [offenders, setOffenders] = useState<Offender[] | null>(null);
  useEffect(() => void api.weekly(weeks).then(setRows), [weeks]);
  useEffect(() => void api.offenders(full).then(setOffenders), [full]);
  return (
    <main class="reports">
      <h1>{t('reports')}</h1>
      <p>
        <select
          value={weeks}
          onChange={(e) => setWeeks(Number((e.target as HTMLSelectElement).value))}
          data-testid="weeks"
        >
          {[4, 12, 26, 52].map((n) => (
            <option key={n} value={n}>
              {t('weeks', { n })}
            </option>
          ))}
        </select>{' '}
        <a href={`/api/v1/reports/weekly.csv?weeks=${weeks}`} download data-testid="weekly-csv">
          {t('downloadCsv')}
        </a>
      </p>
      <h2>{t('casesPerWeek')}</h2>
      {rows && (rows.length ? <WeeklyChart rows={rows} span={weeks} /> : <p class="empty">{t('noData')}</p>)}
      {rows && rows.length > 0 && (
        <details>
          <summary>{t('byPlace')}</summary>
          <DataTable
            heads={['week', 'township', 'village', 'kind', 'cases']}
            rows={rows}
            rowKey={(_, i) => String(i)}
            row={(r) => [r.week, r.township ?? '—', r.village ?? '—', kindLabel(r.kind), r.cases]}
          />
        </details>
      )}
      <h2>{t('offenders')}</h2>
      <p>
        {me.seesPersonalData && (
          <label>
            <input
              type="checkbox"
              checked={full}
              onChange={(e) => setFull((e.target as HTMLInputElement).checked)}
              data-testid="full-plates"
            />{' '}
            {t('showFull')}
          </label>
        )}{' '}
        <a href={`/api/v1/reports/repeat-offenders.csv${full ? '?full=true' : ''}`} download>
          {t('downloadCsv')}
        </a>
      </p>
      {offenders &&
        (offenders.length === 0 ? (
          <p class="empty">{t('noData')}</p>
        ) : (
          <DataTable
            testid="offenders"
            heads={['plate', 'cases', 'lastCase', 'seenAt', 'owner']}
            rows={offenders}
            rowKey={(o) => o.plate}
            row={(o) => [
              <span class="plate-cell">{o.plate}</span>,
              o.cases,
              time(o.lastAt),
              o.seenAt.join('、'),
              o.owner ? `${o.owner}${o.ownerVillage ? ` (${o.ownerVillage})` : ''}` : '',
            ]}
          />
        ))}
    </main>
  );
}
