import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, errorText, upload } from '../api/client';
import type { User } from '../api/types';
import { Avatar } from './Avatar';

const AVATAR_MAX = 5 * 1024 * 1024;
const POLL_MS = 1000;
const POLL_FOR_MS = 60_000;

export function ProfileView(props: { me: User; onChange: (u: User) => void }) {
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
    </div>
  );
}
