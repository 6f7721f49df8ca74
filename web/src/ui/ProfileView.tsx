import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, setToken, signOut, upload } from '../api/client';
import type { User } from '../api/types';
import { disablePush, enablePush, pushState, type PushState } from '../net/push';
import { Avatar } from './Avatar';
import { ConfirmDialog } from './Dialog';
import { applyTheme, loadTheme, saveTheme, THEMES, type Theme } from './theme';

const AVATAR_MAX = 5 * 1024 * 1024;
const POLL_MS = 1000;
const POLL_FOR_MS = 60_000;

export function ProfileView(props: { me: User; onChange: (u: User) => void; onEnded: (why: string) => void }) {
  const { me } = props;
  const [displayName, setDisplayName] = useState(me.display_name ?? '');
  const [bio, setBio] = useState(me.bio ?? '');
  const [saving, setSaving] = useState(false);
  const [saveMsg, setSaveMsg] = useState<{ ok: boolean; text: string } | null>(null);

  const [file, setFile] = useState<File | null>(null);
  const [inputKey, setInputKey] = useState(0); // a new key clears the file input
  const [preview, setPreview] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [avatarMsg, setAvatarMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const polling = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (!file) {
      setPreview(null);
      return;
    }
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  useEffect(
    () => () => {
      if (polling.current) clearTimeout(polling.current);
    },
    [],
  );

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaving(true);
    setSaveMsg(null);
    try {
      const u = await api.patch<User>('/users/me', { display_name: displayName, bio });
      props.onChange(u && typeof u.id === 'number' ? u : await api.get<User>('/users/me'));
      setSaveMsg({ ok: true, text: 'Profile saved.' });
    } catch (err) {
      setSaveMsg({ ok: false, text: errorText(err) });
    } finally {
      setSaving(false);
    }
  }

  async function uploadAvatar(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    if (file.size > AVATAR_MAX) {
      setAvatarMsg({ ok: false, text: 'Choose an image of at most 5 MB.' });
      return;
    }
    const before = me.avatar_url ?? null;
    setAvatarMsg(null);
    setProgress(0);
    try {
      await upload(`/users/me/avatar`, file, file.name, setProgress).promise;
      setProgress(null);
      setAvatarMsg({ ok: true, text: 'Uploaded. Processing your avatar…' });
      // 202: a background job resizes it; poll until the profile shows it.
      const until = Date.now() + POLL_FOR_MS;
      const poll = async () => {
        try {
          const u = await api.get<User>('/users/me');
          if ((u.avatar_url ?? null) !== before) {
            props.onChange(u);
            setFile(null);
            setInputKey((k) => k + 1);
            setAvatarMsg({ ok: true, text: 'Avatar updated.' });
            return;
          }
        } catch {
          /* retry below */
        }
        if (Date.now() < until) polling.current = setTimeout(poll, POLL_MS);
        else setAvatarMsg({ ok: false, text: 'The avatar is taking a while. It will show up once processed.' });
      };
      polling.current = setTimeout(poll, POLL_MS);
    } catch (err) {
      setProgress(null);
      setAvatarMsg({ ok: false, text: errorText(err) });
    }
  }

  return (
    <div className="profile">
      <h1>Your profile</h1>
      <p className="muted">
        Signed in as <strong>@{me.username}</strong> · your user ID is <strong className="user-id">{me.id}</strong> (room owners add members by ID)
      </p>

      <section className="card" aria-labelledby="avatar-title">
        <h2 id="avatar-title">Avatar</h2>
        <form className="avatar-form" onSubmit={uploadAvatar}>
          <div className="avatar-preview">
            {preview ? (
              <img className="avatar" src={preview} alt="Preview of the new avatar" style={{ width: 96, height: 96 }} />
            ) : (
              <Avatar name={me.display_name || me.username} id={me.id} url={me.avatar_url} size={96} />
            )}
          </div>
          <div className="avatar-controls">
            <label className="field">
              <span>Choose avatar</span>
              <input key={inputKey} type="file" accept="image/png,image/jpeg,image/webp,image/gif" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
            </label>
            {progress !== null && <progress max={1} value={progress} aria-label="Avatar upload progress" />}
            <button type="submit" className="primary" disabled={!file || progress !== null}>
              Upload avatar
            </button>
            {avatarMsg && (
              <p className={avatarMsg.ok ? 'ok small-text' : 'error small-text'} role={avatarMsg.ok ? 'status' : 'alert'}>
                {avatarMsg.text}
              </p>
            )}
          </div>
        </form>
      </section>

      <section className="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <form onSubmit={save} className="profile-form">
          <label className="field">
            <span>Display name</span>
            <input maxLength={64} dir="auto" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </label>
          <label className="field">
            <span>Bio</span>
            <textarea rows={4} maxLength={500} dir="auto" value={bio} onChange={(e) => setBio(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={saving}>
            Save profile
          </button>
          {saveMsg && (
            <p className={saveMsg.ok ? 'ok small-text' : 'error small-text'} role={saveMsg.ok ? 'status' : 'alert'}>
              {saveMsg.text}
            </p>
          )}
        </form>
      </section>
      <AppearanceCard />
      <ReceiptsCard me={me} onChange={props.onChange} />
      <NotificationsCard />
      <PasswordCard />
      <SessionsCard onEnded={props.onEnded} />
      <DeleteAccountCard me={me} onEnded={props.onEnded} />
    </div>
  );
}

type Note = { ok: boolean; text: string } | null;

function NoteLine(props: { note: Note }) {
  if (!props.note) return null;
  return (
    <p className={props.note.ok ? 'ok small-text' : 'error small-text'} role={props.note.ok ? 'status' : 'alert'}>
      {props.note.text}
    </p>
  );
}

function localStore(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Light, dark or the system's colours, on this device. */
function AppearanceCard() {
  const [theme, setTheme] = useState<Theme>(() => {
    const store = localStore();
    return store ? loadTheme(store) : 'system';
  });

  function choose(t: Theme) {
    setTheme(t);
    const store = localStore();
    if (store) saveTheme(store, t);
    applyTheme(document.documentElement, t);
  }

  return (
    <section className="card" aria-labelledby="appearance-title">
      <h2 id="appearance-title">Appearance</h2>
      <fieldset className="choices">
        <legend>Theme</legend>
        {THEMES.map((t) => (
          <label key={t.value} className="check">
            <input type="radio" name="theme" value={t.value} checked={theme === t.value} onChange={() => choose(t.value)} />
            <span>{t.label}</span>
          </label>
        ))}
      </fieldset>
      <p className="muted small-text">Kept on this device.</p>
    </section>
  );
}

/** Push notifications on this browser: asked for only when the user clicks. */
function NotificationsCard() {
  const [state, setState] = useState<PushState | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);

  useEffect(() => {
    let live = true;
    pushState()
      .then((s) => live && setState(s))
      .catch(() => live && setState('off'));
    return () => {
      live = false;
    };
  }, []);

  async function toggle() {
    setBusy(true);
    setNote(null);
    try {
      const next = state === 'on' ? await disablePush() : await enablePush();
      setState(next);
      if (next === 'denied') setNote({ ok: false, text: 'This browser blocks notifications from this site: allow them in its site settings.' });
      else setNote({ ok: true, text: next === 'on' ? 'Mentions and direct messages reach this browser while you are away.' : 'This browser gets no notifications.' });
    } catch (err) {
      setNote({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      {state === 'unsupported' ? (
        <p className="muted small-text">This browser cannot receive push notifications.</p>
      ) : (
        <button type="button" className="small" disabled={busy || state === null} onClick={() => void toggle()}>
          {state === 'on' ? 'Turn off notifications on this browser' : 'Turn on notifications on this browser'}
        </button>
      )}
      <p className="muted small-text">
        A mention or a direct message sends a notification when you have no chat open anywhere. Mute a room from its header.
      </p>
      <NoteLine note={note} />
    </section>
  );
}

/** Whether other members see how far this user has read ("Seen by"). */
function ReceiptsCard(props: { me: User; onChange: (u: User) => void }) {
  // The box follows the click at once and goes back if the server says no.
  const [on, setOn] = useState(props.me.read_receipts !== false);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);

  async function toggle(next: boolean) {
    setOn(next);
    setBusy(true);
    setNote(null);
    try {
      const u = await api.patch<User>('/users/me', { read_receipts: next });
      props.onChange(u && typeof u.id === 'number' ? u : { ...props.me, read_receipts: next });
      setNote({ ok: true, text: next ? 'Others can see what you have read.' : 'Others no longer see what you have read.' });
    } catch (err) {
      setOn(!next);
      setNote({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="receipts-title">
      <h2 id="receipts-title">Read receipts</h2>
      <label className="check">
        <input type="checkbox" checked={on} disabled={busy} onChange={(e) => void toggle(e.target.checked)} />
        <span>Share read receipts</span>
      </label>
      <p className="muted small-text">When on, members of your rooms see “Seen by” with your name under messages you have read.</p>
      <NoteLine note={note} />
    </section>
  );
}

/** Change password: this device stays signed in, every other one is signed out. */
function PasswordCard() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (next !== again) {
      setNote({ ok: false, text: 'The two new passwords do not match.' });
      return;
    }
    setBusy(true);
    setNote(null);
    try {
      await api.put('/users/me/password', { current_password: current, new_password: next }, { noSignOut: true });
      setCurrent('');
      setNext('');
      setAgain('');
      setNote({ ok: true, text: 'Password changed. Every other device has been signed out; this one stays signed in.' });
    } catch (err) {
      setNote({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form onSubmit={submit} className="profile-form">
        <label className="field">
          <span>Current password</span>
          <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label className="field">
          <span>New password</span>
          <input type="password" autoComplete="new-password" required minLength={8} maxLength={256} value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        <label className="field">
          <span>Repeat the new password</span>
          <input type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
        </label>
        <p className="muted small-text">Changing your password signs you out on every other device.</p>
        <button type="submit" className="primary" disabled={busy}>
          Change password
        </button>
        <NoteLine note={note} />
      </form>
    </section>
  );
}

/** Sign out everywhere: ends every session of the account, this one included. */
function SessionsCard(props: { onEnded: (why: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);

  async function everywhere() {
    setAsking(false);
    setBusy(true);
    try {
      await signOut(true);
      props.onEnded('You have signed out on every device.');
    } catch (err) {
      // Signed out here in any case; the other devices could not be told.
      props.onEnded(`You have signed out here, but the other devices could not be signed out: ${errorText(err)}`);
    }
  }

  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Devices</h2>
      <p className="muted small-text">
        You stay signed in on each device where you signed in, until you sign out there. Lost a device, or signed in on a shared computer? Sign out
        everywhere: every device, this one included, will have to sign in again.
      </p>
      <button type="button" disabled={busy} onClick={() => setAsking(true)}>
        Sign out everywhere
      </button>
      {asking && (
        <ConfirmDialog title="Sign out everywhere?" confirmLabel="Sign out on every device" onConfirm={everywhere} onCancel={() => setAsking(false)}>
          <p>Every device where you are signed in, this one included, will have to sign in again.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Delete account, after the password and an explicit confirmation. */
function DeleteAccountCard(props: { me: User; onEnded: (why: string) => void }) {
  const [password, setPassword] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);

  const [asking, setAsking] = useState(false);

  function submit(e: FormEvent) {
    e.preventDefault();
    setAsking(true);
  }

  async function remove() {
    setAsking(false);
    setBusy(true);
    setNote(null);
    try {
      await api.del('/users/me', { password }, { noSignOut: true });
      setToken(null);
      props.onEnded('Your account has been deleted.');
    } catch (err) {
      setNote({ ok: false, text: err instanceof ApiError && err.code === 'wrong_password' ? 'That password is not correct.' : errorText(err) });
      setBusy(false);
    }
  }

  return (
    <section className="card danger" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p className="muted small-text">
        Deleting your account signs you out everywhere and frees your username. Your profile, avatar and password are erased. Your messages stay in
        their rooms, shown as written by “deleted user”, and files you shared stay too. Rooms you own pass to the member who joined them first; a room
        where you are the only member is deleted.
      </p>
      <form onSubmit={submit} className="profile-form">
        <label className="field">
          <span>Password</span>
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
          <span>I understand that this cannot be undone</span>
        </label>
        <button type="submit" className="danger" disabled={busy || !understood || !password}>
          Delete my account
        </button>
        <NoteLine note={note} />
      </form>
      {asking && (
        <ConfirmDialog title="Delete your account?" confirmLabel="Delete for good" danger onConfirm={remove} onCancel={() => setAsking(false)}>
          <p>
            The account @{props.me.username} goes for good: this cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
