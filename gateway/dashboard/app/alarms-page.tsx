import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { alertsOn, announce, setAlerts } from './alarm-alert.ts';
import { api, followLive } from './api.ts';
import { Chips, EvidencePhoto, PlateText, placeOf } from './components.tsx';
import { kindLabel, t, time, type WordKey } from './i18n.ts';
import type { Alarm, ResponsePlans } from './types.ts';

type Filter = 'open' | 'overdue' | undefined;
const FILTERS: Array<[Filter, WordKey]> = [
  [undefined, 'filterAll'],
  ['open', 'filterOpen'],
  ['overdue', 'filterOverdue'],
];

/** Live alarms, newest first: photo with boxes, plate, place, the three responses. */
export function AlarmsPage() {
  const [items, setItems] = useState<Alarm[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [plans, setPlans] = useState<ResponsePlans | null>(null);
  const [filter, setFilter] = useState<Filter>(undefined);

  // The first page again: new alarms on top, changed chips in place; older pages kept.
  // Alarms already on the list: only ones the live stream brings after are announced.
  const seen = useRef<Set<string> | null>(null);
  const refresh = useCallback(async () => {
    const page = await api.alarms(undefined, filter);
    if (seen.current) announce(page.items.filter((a) => !seen.current!.has(a.id)));
    seen.current = new Set([...(seen.current ?? []), ...page.items.map((a) => a.id)]);
    setItems((old) => {
      const fresh = new Map(page.items.map((a) => [a.id, a]));
      const older = (old ?? []).filter((a) => !fresh.has(a.id) && page.items.length && a.id < page.items.at(-1)!.id);
      return [...page.items, ...older];
    });
    setNext((n) => n ?? page.next);
  }, [filter]);

  const choose = (f: Filter) => {
    if (f === filter) return;
    // Another list: start it afresh rather than merge it into the one shown.
    setItems(null);
    setNext(null);
    seen.current = null;
    setFilter(f);
  };

  useEffect(() => {
    api.plans().then(setPlans, () => setPlans(null));
  }, []);

  useEffect(() => {
    void refresh();
    return followLive(() => void refresh(), setLive);
  }, [refresh]);

  const more = async () => {
    if (!next) return;
    const page = await api.alarms(next, filter);
    setItems((old) => [...(old ?? []), ...page.items]);
    setNext(page.next);
  };

  return (
    <main>
      <h1>
        {t('alarms')}{' '}
        <span class={live ? 'live up' : 'live down'} data-testid="live">
          {live ? `● ${t('live')}` : t('offline')}
        </span>
      </h1>
      <label class="alerts">
        <input
          type="checkbox"
          checked={alertsOn.value}
          onChange={(e) => void setAlerts((e.target as HTMLInputElement).checked)}
          data-testid="alerts"
        />{' '}
        {t('alertsToggle')}
      </label>
      <div class="filters">
        {FILTERS.map(([f, key]) => (
          <button
            type="button"
            key={key}
            class={f === filter ? 'chosen' : ''}
            aria-pressed={f === filter}
            onClick={() => choose(f)}
            data-testid={`filter-${f ?? 'all'}`}
          >
            {t(key)}
          </button>
        ))}
      </div>
      {plans?.default && (
        <p class="notice" data-testid="default-plan">
          {t('defaultPlan')}
        </p>
      )}
      {items === null ? null : items.length === 0 ? (
        <p class="empty">{t('noAlarms')}</p>
      ) : (
        <ul class="alarms">
          {items.map((a) => (
            <li key={a.id} class={a.closedAt ? 'alarm closed' : 'alarm'} data-alarm={a.id}>
              <a href={a.caseId ? `#/cases/${a.caseId}` : undefined}>
                {a.photo ? <EvidencePhoto photo={a.photo} /> : <div class="photo none" />}
                <div class="what">
                  <strong>{kindLabel(a.kind)}</strong>
                  <PlateText plate={a.plate} />
                  {a.riders !== null && (
                    <span class="riders">
                      {t('riders')} {a.riders}
                    </span>
                  )}
                </div>
                <div class="where">
                  {placeOf(a)} · <time dateTime={a.ts}>{time(a.ts)}</time>
                </div>
                {!a.caseId && plans?.uncovered.includes(a.kind) ? (
                  <span class="no-plan" data-testid="no-plan">
                    {t('noPlan')}
                  </span>
                ) : (
                  <Chips responses={a.responses} />
                )}
              </a>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" onClick={() => void more()}>
          {t('loadMore')}
        </button>
      )}
    </main>
  );
}
