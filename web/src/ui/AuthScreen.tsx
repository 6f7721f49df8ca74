import { useState, type FormEvent } from 'react';
import { api, errorText, setToken } from '../api/client';
import type { LoginResponse } from '../api/types';

/** One form, two actions: "Sign in" and "Create account" (which signs in after). */
export function AuthScreen(props: { notice?: string | null; onSignedIn: (token: string) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState<'' | 'login' | 'register'>('');
  const [error, setError] = useState<string | null>(null);

  async function submit(mode: 'login' | 'register', e?: FormEvent) {
    e?.preventDefault();
    if (busy) return;
    setError(null);
    setBusy(mode);
    try {
      if (mode === 'register') await api.post('/auth/register', { username, password }, { noSignOut: true });
      const res = await api.post<LoginResponse>('/auth/login', { username, password }, { noSignOut: true });
      setToken(res.access_token);
      props.onSignedIn(res.access_token);
    } catch (err) {
      setError(errorText(err));
      setBusy('');
    }
  }

  return (
    <main className="auth">
      <form className="auth-card" onSubmit={(e) => submit('login', e)} aria-labelledby="auth-title">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">●</span> Chat
        </div>
        <h1 id="auth-title">Welcome</h1>
        <p className="muted">Sign in, or pick a username and password to create an account.</p>
        {props.notice && <p className="notice" role="status">{props.notice}</p>}
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoFocus
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="auth-actions">
          <button type="submit" className="primary" disabled={!!busy}>
            {busy === 'login' ? 'Signing in…' : 'Sign in'}
          </button>
          <button
            type="button"
            disabled={!!busy}
            onClick={(e) => {
              const form = (e.currentTarget as HTMLButtonElement).form;
              if (form && !form.reportValidity()) return;
              void submit('register');
            }}
          >
            {busy === 'register' ? 'Creating account…' : 'Create account'}
          </button>
        </div>
      </form>
    </main>
  );
}
