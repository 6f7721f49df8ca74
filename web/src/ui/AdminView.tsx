import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, errorText } from '../api/client';
import type { Account, AccountPage } from '../api/types';
import { accountsPath, accountStatus, mergeAccounts, reasonProblem, REASON_MAX, replaceAccount } from '../state/admin';
import { fullTime } from './format';

/**
 * The Admin section (administrators only; the server refuses everyone else
 * anyway): the users with their status, suspending and lifting a
 * suspension, and the way to the job dashboard.
 */
export function AdminView(props: { meId: number }) {
  const [search, setSearch] = useState('');
  const [shown, setShown] = useState('');
  const [users, setUsers] = useState<Account[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [suspending, setSuspending] = useState<Account | null>(null);

  const load = useCallback(async (q: string, after: number) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.get<AccountPage>(accountsPath(q, after));
      setUsers((list) => mergeAccounts(list, page.users, after === 0));
      setNext(page.next_after);
      setShown(q);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load('', 0);
  }, [load]);

  async function lift(a: Account) {
    setError(null);
    try {
      const got = await api.del<Account>(`/admin/users/${a.id}/suspension`);
      setUsers((list) => replaceAccount(list, got));
    } catch (e) {
      setError(errorText(e));
    }
  }

  return (
    <div className="profile admin-view">
      <h1>Admin</h1>
      <JobsCard />
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <form
          className="inline-form"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            void load(search, 0);
          }}
        >
          <label className="sr-only" htmlFor="admin-search">
            Search users by name
          </label>
          <input id="admin-search" type="search" placeholder="Username or display name" maxLength={64} value={search} onChange={(e) => setSearch(e.target.value)} />
          <button type="submit" className="small" disabled={loading}>
            Search
          </button>
        </form>
        {error && (
          <p className="error small-text" role="alert">
            {error}
          </p>
        )}
        <table className="admin-users">
          <caption className="sr-only">{shown ? `Users matching ${shown}` : 'Users'}</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((a) => (
              <tr key={a.id} className={a.suspended ? 'suspended' : undefined}>
                <td>
                  <bdi>{a.display_name || a.username}</bdi> <span className="muted">@{a.username}</span>
                  {a.is_admin && <span className="muted"> (admin)</span>}
                </td>
                <td>{accountStatus(a, (iso) => fullTime(Date.parse(iso)))}</td>
                <td>
                  {a.id === props.meId ? null : a.suspended ? (
                    <button type="button" className="small" onClick={() => void lift(a)}>
                      Unsuspend <span className="sr-only">{a.username}</span>
                    </button>
                  ) : (
                    <button type="button" className="small danger" onClick={() => setSuspending(a)}>
                      Suspend <span className="sr-only">{a.username}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!loading && users.length === 0 && <p className="muted">No users found.</p>}
        {next !== null && (
          <button type="button" className="small ghost" disabled={loading} onClick={() => void load(shown, next)}>
            More users
          </button>
        )}
      </section>
      {suspending && (
        <SuspendForm
          account={suspending}
          onCancel={() => setSuspending(null)}
          onDone={(a) => {
            setUsers((list) => replaceAccount(list, a));
            setSuspending(null);
          }}
        />
      )}
    </div>
  );
}

/** Suspends one account, with an optional reason kept for administrators. */
function SuspendForm(props: { account: Account; onCancel: () => void; onDone: (a: Account) => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = props.account.display_name || props.account.username;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = reasonProblem(reason);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      props.onDone(await api.put<Account>(`/admin/users/${props.account.id}/suspension`, { reason: reason.trim() }));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="suspend-title">
      <h2 id="suspend-title">
        Suspend <bdi>{name}</bdi>
      </h2>
      <p className="muted small-text">Every session of the account ends at once, its sockets close, and it cannot sign in until you lift the suspension.</p>
      <form onSubmit={submit} className="profile-form">
        <label htmlFor="suspend-reason">Reason (seen by administrators)</label>
        <textarea id="suspend-reason" rows={2} maxLength={REASON_MAX} value={reason} onChange={(e) => setReason(e.target.value)} />
        {error && (
          <p className="error small-text" role="alert">
            {error}
          </p>
        )}
        <div className="inline-form">
          <button type="submit" className="small danger" disabled={busy}>
            Suspend
          </button>
          <button type="button" className="small ghost" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

/**
 * The job dashboard (River UI) is a page of its own: a browser sends no
 * token when it opens it. Opening this section trades the token for the
 * dashboard's cookie (HttpOnly, SameSite=Strict, only for /admin/jobs, 30
 * minutes); the link then opens it in a new tab.
 */
function JobsCard() {
  const [state, setState] = useState<'opening' | 'ready' | string>('opening');
  const open = useCallback(() => {
    setState('opening');
    api
      .post('/admin/jobs/session')
      .then(() => setState('ready'))
      .catch((e) => setState(errorText(e)));
  }, []);
  useEffect(open, [open]);
  return (
    <section className="card" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Background jobs</h2>
      <p className="muted small-text">Thumbnails, avatars, scheduled messages and file removals, with their retries, in River's dashboard.</p>
      {state === 'ready' ? (
        <a
          className="button small"
          href="/admin/jobs/"
          target="_blank"
          rel="noopener noreferrer"
          // The cookie lasts 30 minutes: each opening renews it for the next.
          onClick={() => void api.post('/admin/jobs/session').catch(() => {})}
        >
          Open the job dashboard
        </a>
      ) : state === 'opening' ? (
        <p className="muted small-text">Opening…</p>
      ) : (
        <p className="error small-text" role="alert">
          {state}
        </p>
      )}
    </section>
  );
}
