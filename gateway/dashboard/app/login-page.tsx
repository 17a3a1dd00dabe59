import { useState } from 'preact/hooks';
import { api, ApiError } from './api.ts';
import { lang, setLang, t } from './i18n.ts';
import type { Me } from './types.ts';

export function LoginPage({ onIn }: { onIn: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      await api.login(username, password);
      onIn(await api.me());
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('loginFailed') : (err as Error).message);
    }
  };
  return (
    <main class="login">
      <form onSubmit={(e) => void submit(e)}>
        <h1>{t('title')}</h1>
        <label>
          {t('username')}
          <input
            name="username"
            autoComplete="username"
            value={username}
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
            required
          />
        </label>
        <label>
          {t('password')}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
            required
          />
        </label>
        <button type="submit">{t('login')}</button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="button" class="link" onClick={() => setLang(lang.value === 'zh' ? 'en' : 'zh')}>
          {t('language')}
        </button>
      </form>
    </main>
  );
}
