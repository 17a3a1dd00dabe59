import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { DataTable } from './components.tsx';
import { t, time } from './i18n.ts';

type Entry = Awaited<ReturnType<typeof api.accessLog>>[number];

/** Who looked at personal data, newest first (admins only). */
export function AccessLogPage() {
  const [rows, setRows] = useState<Entry[] | null>(null);
  useEffect(() => void api.accessLog().then(setRows), []);
  return (
    <main>
      <h1>{t('accessLog')}</h1>
      <p class="help">{t('accessLogHelp')}</p>
      {rows && (
        <DataTable
          testid="access-log"
          heads={['when', 'who', 'role', 'what', 'subject']}
          rows={rows}
          rowKey={(_, i) => String(i)}
          row={(e) => [time(e.at), e.actor, e.role, e.what, e.subject]}
        />
      )}
    </main>
  );
}
