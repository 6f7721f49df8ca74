import { useState, type FormEvent } from 'react';
import { api, errorText, setToken } from '../api/client';
import type { LoginResponse } from '../api/types';
import { PASSWORD_RULE, passwordProblem, USERNAME_RULE, usernameProblem } from './authRules';

/**
 * One form, two actions: "Sign in" and "Create account" (which signs in
 * after). The rules for a new account stand under the fields from the start.
 */
export function AuthScreen(props: { notice?: string | null; onSignedIn: (token: string) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState<'' | 'login' | 'register'>('');
  const [error, setError] = useState<string | null>(null);

  async function submit(mode: 'login' | 'register', e?: FormEvent) {
    e?.preventDefault();
    if (busy) return;
    setError(null);
    if (mode === 'register') {
      const problem = usernameProblem(username) ?? passwordProblem(password);
      if (problem) {
        setError(problem);
        return;
      }
    }
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
        <div className="field">
          <label htmlFor="auth-username">Username</label>
          <input
            id="auth-username"
            name="username"
            autoFocus
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            aria-describedby="username-rules"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <p id="username-rules" className="hint">
            {USERNAME_RULE}
          </p>
        </div>
        <div className="field">
          <label htmlFor="auth-password">Password</label>
          <input
            id="auth-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            aria-describedby="password-rules"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <p id="password-rules" className="hint">
            {PASSWORD_RULE}
          </p>
        </div>
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
