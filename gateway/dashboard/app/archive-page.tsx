import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { DataTable } from './components.tsx';
import { t } from './i18n.ts';
import type { ArchiveVehicle, ImportReport, Me } from './types.ts';

/** CSV import: checked first, every problem shown by line, written only on confirmation. */
function ArchiveImport() {
  const [csv, setCsv] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState('');
  const check = async (text: string) => {
    setError('');
    setCsv(text);
    try {
      setReport(await api.importArchive(text, false));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const commit = async () => {
    if (!csv) return;
    try {
      setReport(await api.importArchive(csv, true));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section class="import">
      <h2>{t('importTitle')}</h2>
      <p class="help">{t('importHelp')}</p>
      <input
        type="file"
        accept=".csv,text/csv"
        data-testid="import-file"
        onChange={(e) => {
          const f = (e.target as HTMLInputElement).files?.[0];
          if (f) void f.text().then(check);
        }}
      />
      {error && <p class="error">{error}</p>}
      {report && (
        <div class="import-report" data-testid="import-report">
          <p>
            {report.committed
              ? t('importDone', { added: report.added, updated: report.updated })
              : t('importChecked', { rows: report.rows, valid: report.valid })}
          </p>
          {report.problems.length > 0 && (
            <ul class="problems">
              {report.problems.map((p) => (
                <li key={p.line}>
                  {t('line', { n: p.line })}: {p.errors.join('; ')}
                </li>
              ))}
            </ul>
          )}
          {!report.committed && report.problems.length === 0 && report.valid > 0 && (
            <button type="button" onClick={() => void commit()} data-testid="import-commit">
              {t('commit')}
            </button>
          )}
        </div>
      )}
    </section>
  );
}

/** 三见面一建档: find a vehicle, its owner and driver; admins import the village lists. */
export function ArchivePage({ me }: { me: Me }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<ArchiveVehicle[] | null>(null);
  const search = async (e: Event) => {
    e.preventDefault();
    if (q.trim()) setFound(await api.searchArchive(q.trim()));
  };
  return (
    <main class="archive">
      <h1>{t('archive')}</h1>
      <form onSubmit={(e) => void search(e)}>
        <input
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
          placeholder={t('search')}
          data-testid="archive-q"
          size={32}
        />{' '}
        <button type="submit">{t('searchButton')}</button>
      </form>
      {found &&
        (found.length === 0 ? (
          <p class="empty">{t('noResults')}</p>
        ) : (
          <DataTable
            testid="archive-results"
            heads={['plate', 'vehicleClass', 'owner', 'phone', 'driver', 'village', 'cases']}
            rows={found}
            rowKey={(v) => v.id}
            row={(v) => [
              <span class="plate-cell">{v.plate ?? v.id}</span>,
              v.class,
              v.ownerName ?? '',
              v.ownerPhone ?? '',
              v.driverName ?? '',
              [v.township, v.village].filter(Boolean).join(' '),
              v.cases,
            ]}
          />
        ))}
      {me.role === 'admin' && <ArchiveImport />}
    </main>
  );
}
