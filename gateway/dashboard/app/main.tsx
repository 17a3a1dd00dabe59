import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AlarmsPage } from './alarms-page.tsx';
import { api, ApiError } from './api.ts';
import { AccessLogPage } from './access-log-page.tsx';
import { ArchivePage } from './archive-page.tsx';
import { CasePage } from './case-page.tsx';
import { DevicePage } from './device-page.tsx';
import { DevicesPage } from './devices-page.tsx';
import { lang, setLang, t } from './i18n.ts';
import { LoginPage } from './login-page.tsx';
import { ReportsPage } from './reports-page.tsx';
import { UpdatesPage } from './updates-page.tsx';
import type { Me } from './types.ts';
import './style.css';

/** Hash routes: the gateway serves one page, and a deep link survives a reload. */
function useRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const route = useRoute();
  useEffect(() => {
    api.me().then(setMe, (e: unknown) => (e instanceof ApiError && e.status === 401 ? setMe(null) : Promise.reject(e)));
    const out = () => setMe(null);
    addEventListener('rw-logged-out', out);
    return () => removeEventListener('rw-logged-out', out);
  }, []);
  document.title = t('title');
  if (me === undefined) return null;
  if (me === null) return <LoginPage onIn={setMe} />;
  const kase = /^\/cases\/([\w-]+)$/.exec(route);
  const device = /^\/devices\/([\w.-]+)$/.exec(route);
  return (
    <>
      <header>
        <a href="#/" class="brand">
          {t('title')}
        </a>
        <nav>
          <a href="#/">{t('alarms')}</a>
          <a href="#/devices">{t('devices')}</a>
          <a href="#/reports">{t('reports')}</a>
          {me.seesPersonalData && <a href="#/archive">{t('archive')}</a>}
          {me.role === 'admin' && <a href="#/access-log">{t('accessLog')}</a>}
          {me.role === 'admin' && <a href="#/updates">{t('updates')}</a>}
        </nav>
        <span class="user" data-testid="user">
          {me.name} · {me.role}
          {me.scope?.villages?.length ? ` · ${me.scope.villages.join('、')}` : ''}
          {me.scope?.townships?.length ? ` · ${me.scope.townships.join('、')}` : ''}
        </span>
        <button
          type="button"
          class="link"
          onClick={() => setLang(lang.value === 'zh' ? 'en' : 'zh')}
          data-testid="lang"
        >
          {t('language')}
        </button>
        <button type="button" class="link" onClick={() => void api.logout().then(() => setMe(null))}>
          {t('logout')}
        </button>
      </header>
      {kase ? (
        <CasePage id={kase[1]} me={me} key={kase[1]} />
      ) : device ? (
        <DevicePage id={device[1]} me={me} key={device[1]} />
      ) : route === '/devices' ? (
        <DevicesPage />
      ) : route === '/reports' ? (
        <ReportsPage me={me} />
      ) : route === '/archive' && me.seesPersonalData ? (
        <ArchivePage me={me} />
      ) : route === '/access-log' && me.role === 'admin' ? (
        <AccessLogPage />
      ) : route === '/updates' && me.role === 'admin' ? (
        <UpdatesPage />
      ) : (
        <AlarmsPage />
      )}
    </>
  );
}

render(<App />, document.getElementById('app')!);
