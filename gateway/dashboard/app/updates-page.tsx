import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type RolloutAction } from './api.ts';
import { DataTable } from './components.tsx';
import { otaStateLabel, serverText, t, time } from './i18n.ts';
import type { RolloutView } from './types.ts';

const MOVES: Record<string, RolloutAction[]> = {
  canary: ['pause', 'cancel'],
  rolling: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
  halted: ['cancel'],
};

/** One rollout: its stage, counts, every box with its state and reason, and the moves it allows. */
function Rollout({ id, onMoved }: { id: string; onMoved: () => void }) {
  const [r, setR] = useState<RolloutView | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(() => void api.rollout(id).then(setR), [id]);
  useEffect(load, [load]);
  if (!r) return null;
  const move = (a: RolloutAction) =>
    api.moveRollout(id, a).then(
      (next) => {
        setError('');
        setR(next);
        onMoved();
      },
      (e: Error) => setError(serverText(e.message)),
    );
  return (
    <section class="rollout" data-testid={`rollout-${id}`}>
      <h2>
        {r.bundle.name} · <span data-testid="rollout-state">{otaStateLabel(r.state)}</span>
      </h2>
      <p>
        {Object.entries(r.counts)
          .map(([s, n]) => `${otaStateLabel(s)} ${n}`)
          .join(' · ')}
        {r.haltedReason ? ` — ${r.haltedReason}` : ''}
      </p>
      <p class="actions">
        {(MOVES[r.state] ?? []).map((a) => (
          <button type="button" key={a} data-testid={`rollout-${a}`} onClick={() => void move(a)}>
            {t(a === 'cancel' ? 'cancelRollout' : a)}
          </button>
        ))}
      </p>
      {error && <p class="error">{error}</p>}
      <DataTable
        heads={['device', 'stage', 'status', 'reason']}
        rows={r.targets}
        rowKey={(x) => x.deviceId}
        row={(x) => [
          <a href={`#/devices/${x.deviceId}`}>{x.deviceId}</a>,
          t(x.stage === 'canary' ? 'canaryStage' : 'restStage'),
          otaStateLabel(x.state),
          x.reason ?? '',
        ]}
      />
    </section>
  );
}

/** Rollouts of box updates, newest first; one opened below the list (admins only). */
export function UpdatesPage() {
  const [rows, setRows] = useState<Awaited<ReturnType<typeof api.rollouts>> | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const load = useCallback(() => void api.rollouts().then(setRows), []);
  useEffect(load, [load]);
  return (
    <main>
      <h1>{t('updates')}</h1>
      <p class="help">{t('updatesHelp')}</p>
      {rows?.length === 0 && <p class="empty">{t('noRollouts')}</p>}
      {rows && rows.length > 0 && (
        <DataTable
          testid="rollouts"
          heads={['rollout', 'status', 'when', 'startedBy']}
          rows={rows}
          rowKey={(r) => r.id}
          row={(r) => [
            <button type="button" class="link" onClick={() => setOpen(r.id)}>
              {r.id}
            </button>,
            otaStateLabel(r.state),
            time(r.createdAt),
            r.createdBy,
          ]}
        />
      )}
      {open && <Rollout id={open} key={open} onMoved={load} />}
    </main>
  );
}
