import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { placeText, stateText } from './devices-page.tsx';
import { flagLabel, t, time, type WordKey } from './i18n.ts';
import type { Me, TelemetryPoint } from './types.ts';

type Device = Awaited<ReturnType<typeof api.device>>;

/** A small line of one telemetry value over the day, with its last reading. */
function Sparkline({
  label,
  unit,
  points,
  pick,
}: {
  label: WordKey;
  unit: string;
  points: TelemetryPoint[];
  pick: (p: TelemetryPoint) => number | null;
}) {
  const values = points
    .map((p) => ({ t: Date.parse(p.ts), v: pick(p) }))
    .filter((p): p is { t: number; v: number } => typeof p.v === 'number');
  if (values.length < 2) return null;
  const [t0, t1] = [values[0].t, values.at(-1)!.t];
  const [lo, hi] = [Math.min(...values.map((p) => p.v)), Math.max(...values.map((p) => p.v))];
  const x = (tt: number) => ((tt - t0) / Math.max(1, t1 - t0)) * 200;
  const y = (v: number) => 38 - ((v - lo) / Math.max(1e-9, hi - lo)) * 36;
  return (
    <figure class="spark" data-testid={`spark-${label}`}>
      <svg viewBox="0 0 200 40" preserveAspectRatio="none">
        <title>{t(label)}</title>
        <polyline
          points={values.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}
          fill="none"
          stroke="#1565c0"
          stroke-width="1.5"
        />
      </svg>
      <figcaption>
        {t(label)} {values.at(-1)!.v.toFixed(1)} {unit}
      </figcaption>
    </figure>
  );
}

/** One box: where, how it is, its day in telemetry, its self-tests, and a self-test from here. */
export function DevicePage({ id, me }: { id: string; me: Me }) {
  const [d, setD] = useState<Device | null | 'missing'>(null);
  const [points, setPoints] = useState<TelemetryPoint[]>([]);
  const [waiting, setWaiting] = useState<'sent' | 'timeout' | null>(null);
  const load = useCallback(() => api.device(id).then(setD, () => setD('missing')), [id]);
  useEffect(() => {
    void load();
    void api.telemetry(id).then(setPoints, () => setPoints([]));
  }, [id, load]);

  const selfTest = async () => {
    const before = d && d !== 'missing' ? d.selftests[0]?.id : undefined;
    await api.selfTest(id);
    setWaiting('sent');
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1500));
      const fresh = await api.device(id);
      if (fresh.selftests[0] && fresh.selftests[0].id !== before) {
        setD(fresh);
        setWaiting(null);
        return;
      }
    }
    setWaiting('timeout');
  };

  if (d === null) return <main />;
  if (d === 'missing')
    return (
      <main>
        <p class="error">{t('noDevices')}</p>
      </main>
    );
  return (
    <main class="device">
      <a href="#/devices">← {t('devices')}</a>
      <h1>
        {d.id} <span class={`badge state-${d.state}`}>{stateText(d.state)}</span>
      </h1>
      <p>
        {placeText(d)}
        {d.lastSeen && ` · ${t('lastSeen')} ${time(d.lastSeen)}`}
        {d.flags.length > 0 && ` · ${t('flags')}: ${d.flags.map(flagLabel).join('、')}`}
      </p>
      <section>
        <h2>{t('telemetry')}</h2>
        {points.length < 2 ? (
          <p class="empty">{t('noTelemetry')}</p>
        ) : (
          <div class="sparks">
            <Sparkline label="battery" unit="V" points={points} pick={(p) => p.batteryV} />
            <Sparkline label="temperature" unit="°C" points={points} pick={(p) => p.temperatureC} />
            <Sparkline label="outbox" unit="" points={points} pick={(p) => p.outboxPending} />
            <Sparkline label="disk" unit="MB" points={points} pick={(p) => p.diskFreeMb} />
          </div>
        )}
      </section>
      <section>
        <h2>{t('selfTests')}</h2>
        {(me.role === 'admin' || me.role === 'technician') && (
          <p>
            <button type="button" onClick={() => void selfTest()} disabled={waiting === 'sent'} data-testid="self-test">
              {t('selfTestNow')}
            </button>{' '}
            {waiting === 'sent' && <span>{t('selfTestSent')}</span>}
            {waiting === 'timeout' && <span class="error">{t('selfTestTimeout')}</span>}
          </p>
        )}
        <ul class="selftests">
          {d.selftests.map((s) => (
            <li key={s.id} data-ok={String(s.ok)}>
              {time(s.receivedAt)} · {s.ok ? `✅ ${t('passed')}` : `❌ ${t('failedTest')}: ${s.failed.join('; ')}`} ·{' '}
              {s.by ?? s.trigger}
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
