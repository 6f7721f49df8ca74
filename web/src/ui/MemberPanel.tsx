import { useState, type FormEvent } from 'react';
import { api, errorText } from '../api/client';
import type { FileItem, Member, Room, User } from '../api/types';
import { Avatar } from './Avatar';
import { Icon } from './Icon';
import { FileView } from './MessageList';
import { NameButton } from './ProfileCard';
import { removeMemberPath } from '../state/admin';

export function MemberPanel(props: {
  id: string;
  members: Member[];
  me: User;
  room: Room | undefined;
  roomId: number;
  files: FileItem[];
  onClose: () => void;
  onAdded: () => void;
  onOpenImage: (f: FileItem) => void;
  onLeave: () => void;
  leaving: boolean;
  /** False while the socket is down: presence may be out of date. */
  live: boolean;
  /** A direct conversation: its people are fixed (nobody is added, nobody leaves). */
  direct?: boolean;
  /** Opens the direct conversation with a member. */
  onMessage?: (userId: number) => void;
  /** A member was removed (by the owner or an administrator): the list is stale. */
  onRemoved?: () => void;
}) {
  const [removing, setRemoving] = useState<number | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);
  async function remove(m: Member, path: string) {
    setRemoving(m.id);
    setRemoveError(null);
    try {
      await api.del(path);
      props.onRemoved?.();
    } catch (err) {
      setRemoveError(errorText(err));
    } finally {
      setRemoving(null);
    }
  }
  const sorted = [...props.members].sort(
    (a, b) => Number(b.online) - Number(a.online) || (a.display_name || a.username).localeCompare(b.display_name || b.username),
  );
  const online = sorted.filter((m) => m.online);
  const isOwner = props.room?.owner_id === props.me.id;
  const files = [...props.files].sort((a, b) => b.id - a.id).slice(0, 20);
  return (
    <aside className="member-panel" id={props.id} aria-label="Room details">
      <div className="panel-head">
        <h2>Members</h2>
        <button className="icon-button panel-close" aria-label="Close members" onClick={props.onClose}>
          <Icon name="close" />
        </button>
      </div>
      <p className="online-line" aria-live="polite">
        <span className="online-dot" aria-hidden="true" /> {online.length} online
        {online.length > 0 && (
          <span className="muted">
            :{' '}
            {online.map((m, i) => (
              <span key={m.id}>
                {i > 0 && ', '}
                <bdi>{m.display_name || m.username}</bdi>
              </span>
            ))}
          </span>
        )}
      </p>
      {!props.live && <p className="muted small-text">Reconnecting — who is online may be out of date.</p>}
      <ul className="member-list" aria-label="Members">
        {sorted.map((m) => (
          <li key={m.id} className={m.online ? 'online' : 'offline'}>
            <span className="avatar-wrap">
              <Avatar name={m.display_name || m.username} id={m.id} url={m.avatar_url} size={30} />
              <span className={`presence ${m.online ? 'on' : 'off'}`} aria-hidden="true" />
            </span>
            <span className="member-names">
              <span className="member-name">
                <NameButton userId={m.id} username={m.username}>
                  <bdi>{m.display_name || m.username}</bdi>
                </NameButton>
                {m.id === props.me.id && <span className="muted"> (you)</span>}
                {m.id === props.room?.owner_id && !props.direct && <span className="muted"> (owner)</span>}
              </span>
              <span className="member-handle">
                @{m.username} · ID {m.id}
              </span>
            </span>
            <span className="sr-only">{m.online ? 'online' : 'offline'}</span>
            {(() => {
              const path = removeMemberPath(props.roomId, m.id, props.me.id, props.room?.owner_id, props.me.is_admin === true, props.direct === true);
              return (
                path && (
                  <button
                    type="button"
                    className="small ghost member-remove"
                    aria-label={`Remove ${m.display_name || m.username} from the room`}
                    title="Remove from the room"
                    disabled={removing === m.id}
                    onClick={() => void remove(m, path)}
                  >
                    <Icon name="close" size={14} />
                  </button>
                )
              );
            })()}
            {props.onMessage && m.id !== props.me.id && !(props.direct && props.members.length <= 2) && (
              <button type="button" className="small ghost member-message" aria-label={`Message ${m.display_name || m.username}`} title="Direct message" onClick={() => props.onMessage?.(m.id)}>
                <Icon name="message" size={14} />
              </button>
            )}
          </li>
        ))}
      </ul>
      {removeError && (
        <p className="error small-text" role="alert">
          {removeError}
        </p>
      )}
      {isOwner && props.room?.is_private && !props.direct && <AddMember roomId={props.roomId} onAdded={props.onAdded} />}
      {!props.direct && (
        <button className="small ghost leave-button" onClick={props.onLeave} disabled={props.leaving}>
          Leave room
        </button>
      )}
      {files.length > 0 && (
        <>
          <h2 className="files-head">Files</h2>
          <ul className="file-list">
            {files.map((f) => (
              <li key={f.id}>
                <FileView file={f} onOpenImage={props.onOpenImage} />
              </li>
            ))}
          </ul>
        </>
      )}
    </aside>
  );
}

/** The owner adds someone by username (or by the user ID shown on their profile page). */
function AddMember(props: { roomId: number; onAdded: () => void }) {
  const [who, setWho] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const v = who.trim().replace(/^@/, '');
    if (!v) {
      setMsg({ ok: false, text: 'Enter a username or a user ID.' });
      return;
    }
    const body = /^[0-9]+$/.test(v) ? { user_id: Number(v) } : { username: v };
    setBusy(true);
    setMsg(null);
    try {
      // 204: added; 200 {already_member: true}: nothing to do.
      const res = await api.post<{ already_member?: boolean } | undefined>(`/rooms/${props.roomId}/members`, body);
      setMsg({ ok: true, text: res?.already_member ? `${v} is already a member.` : `${v} was added.` });
      setWho('');
      props.onAdded();
    } catch (err) {
      setMsg({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="add-member" onSubmit={submit}>
      <h3>Add a member</h3>
      <p className="muted small-text">Their username, or the user ID on their profile page.</p>
      <div className="inline-form">
        <label className="sr-only" htmlFor="add-member-id">
          Username or user ID
        </label>
        <input id="add-member-id" autoCapitalize="none" autoComplete="off" placeholder="Username or user ID" value={who} onChange={(e) => setWho(e.target.value)} />
        <button type="submit" className="small primary" disabled={busy}>
          Add member
        </button>
      </div>
      {msg && (
        <p className={msg.ok ? 'ok small-text' : 'error small-text'} role={msg.ok ? 'status' : 'alert'}>
          {msg.text}
        </p>
      )}
    </form>
  );
}
