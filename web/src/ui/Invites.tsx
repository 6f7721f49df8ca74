// Room invite links: members make and share them (InviteDialog); someone who
// opens one is asked whether to join (InviteGate). A link works for a
// private room too; the server decides whether it is still valid.
import { useEffect, useRef, useState } from 'react';
import { api, ApiError, asArray, errorText } from '../api/client';
import type { Invite, InviteInfo, Room, User } from '../api/types';
import { Dialog } from './Dialog';
import { expiresIn, inviteLink } from './invites';

export const INVALID_INVITE = 'This invite link is not valid (it may have been revoked or expired).';

const EXPIRY_CHOICES: { seconds: number; label: string }[] = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 7 * 86_400, label: '7 days' },
  { seconds: 30 * 86_400, label: '30 days' },
];

async function copyText(text: string, fallback: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard access (an insecure origin, a denied permission): select it for Ctrl+C.
    fallback?.focus();
    fallback?.select();
    return false;
  }
}

/** Creates, shows, copies and revokes a room's invite links. */
export function InviteDialog(props: { room: Room; me: User; onClose: () => void }) {
  const { room, me } = props;
  const isOwner = room.owner_id === me.id;
  const [invites, setInvites] = useState<Invite[] | null>(null);
  const [latest, setLatest] = useState<string | null>(null);
  const [expiry, setExpiry] = useState(7 * 86_400);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const linkBox = useRef<HTMLInputElement>(null);
  const origin = location.origin;

  useEffect(() => {
    let gone = false;
    api.get(`/rooms/${room.id}/invites`).then(
      (list) => !gone && setInvites(asArray<Invite>(list)),
      (e) => !gone && (setInvites([]), setNote({ ok: false, text: errorText(e) })),
    );
    return () => {
      gone = true;
    };
  }, [room.id]);

  async function create() {
    setBusy(true);
    setNote(null);
    try {
      const inv = await api.post<Invite>(`/rooms/${room.id}/invites`, { expires_in: expiry });
      setInvites((list) => [inv, ...(list ?? []).filter((x) => x.code !== inv.code)]);
      setLatest(inv.code);
    } catch (e) {
      setNote({ ok: false, text: errorText(e) });
    } finally {
      setBusy(false);
    }
  }

  async function copy(code: string) {
    const ok = await copyText(inviteLink(origin, code), code === latest ? linkBox.current : null);
    setNote(ok ? { ok: true, text: 'Link copied.' } : { ok: false, text: 'Copying is not allowed here: the link is selected, press Ctrl+C.' });
  }

  async function revoke(code: string) {
    setNote(null);
    try {
      await api.del(`/rooms/${room.id}/invites/${encodeURIComponent(code)}`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) {
        setNote({ ok: false, text: errorText(e) });
        return;
      }
    }
    setInvites((list) => (list ?? []).filter((x) => x.code !== code));
    if (latest === code) setLatest(null);
    setNote({ ok: true, text: 'Invite link revoked.' });
  }

  const now = Date.now();
  return (
    <Dialog title="Invite people" onClose={props.onClose} className="invite-dialog">
      <p className="muted small-text">
        Anyone who opens an invite link and signs in can join <bdi>{room.name}</bdi>
        {room.is_private ? ', even though it is private' : ''}. Revoke a link to stop it working.
      </p>
      <div className="inline-form">
        <label className="sr-only" htmlFor="invite-expiry">
          Link works for
        </label>
        <select id="invite-expiry" value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
          {EXPIRY_CHOICES.map((c) => (
            <option key={c.seconds} value={c.seconds}>
              Works for {c.label}
            </option>
          ))}
        </select>
        <button className="primary" onClick={create} disabled={busy} data-autofocus>
          Create invite link
        </button>
      </div>
      {latest && (
        <div className="inline-form invite-latest">
          <label className="sr-only" htmlFor="invite-link">
            Invite link
          </label>
          <input id="invite-link" ref={linkBox} readOnly value={inviteLink(origin, latest)} onFocus={(e) => e.target.select()} />
          <button onClick={() => copy(latest)}>Copy</button>
        </div>
      )}
      {note && (
        <p className={note.ok ? 'ok small-text' : 'error small-text'} role={note.ok ? 'status' : 'alert'}>
          {note.text}
        </p>
      )}
      <section className="settings-section" aria-labelledby="live-invites">
        <h3 id="live-invites">Live invite links</h3>
        {invites === null ? (
          <p className="muted small-text">Loading…</p>
        ) : invites.length === 0 ? (
          <p className="muted small-text">None yet.</p>
        ) : (
          <ul className="invite-list">
            {invites.map((inv) => (
              <li key={inv.code}>
                <span className="invite-code">
                  <code>{inviteLink(origin, inv.code)}</code>
                  <span className="muted small-text">
                    {inv.created_by === me.id ? 'yours' : 'by another member'}, {expiresIn(inv.expires_at, now)}
                  </span>
                </span>
                <button className="small" onClick={() => copy(inv.code)} aria-label={`Copy invite link ${inv.code}`}>
                  Copy
                </button>
                {(inv.created_by === me.id || isOwner) && (
                  <button className="small danger" onClick={() => revoke(inv.code)} aria-label={`Revoke invite link ${inv.code}`}>
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="modal-actions">
        <button onClick={props.onClose}>Close</button>
      </div>
    </Dialog>
  );
}

/**
 * "Join <room>?" for an invite link the user opened. onJoined: the user is
 * a member now (joined here, or was already); onDone: the question is over
 * without joining.
 */
export function InviteGate(props: { code: string; onJoined: (room: Room) => void; onDone: () => void }) {
  const [info, setInfo] = useState<InviteInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { code } = props;

  const failed = (e: unknown) => setError(e instanceof ApiError && e.status === 404 ? INVALID_INVITE : errorText(e));

  useEffect(() => {
    let gone = false;
    api.get<InviteInfo>(`/invites/${encodeURIComponent(code)}`).then(
      (v) => !gone && setInfo(v),
      (e) => !gone && failed(e),
    );
    return () => {
      gone = true;
    };
  }, [code]);

  async function join() {
    setBusy(true);
    setError(null);
    try {
      const room = await api.post<Room>(`/invites/${encodeURIComponent(code)}/accept`);
      props.onJoined({ ...(info?.room ?? {}), ...room, is_member: true });
    } catch (e) {
      failed(e);
      setBusy(false);
    }
  }

  const name = info?.room.name ?? '';
  return (
    <Dialog title={info ? `Join ${name}?` : 'Invite link'} onClose={props.onDone} className="invite-gate">
      {!info && !error && <p className="muted">Checking the invite…</p>}
      {info && (
        <div className="modal-body">
          {info.is_member ? (
            <p>
              You are already a member of <bdi>{name}</bdi>.
            </p>
          ) : (
            <p>
              You were invited to join {info.room.is_private ? 'the private room' : 'the room'} <bdi>{name}</bdi>.
            </p>
          )}
          {info.room.description && (
            <p className="muted" dir="auto">
              {info.room.description}
            </p>
          )}
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button onClick={props.onDone} disabled={busy}>
          {error ? 'Close' : 'Cancel'}
        </button>
        {info && !error && (
          <button
            className="primary"
            disabled={busy}
            autoFocus
            onClick={() => (info.is_member ? props.onJoined({ ...info.room, is_member: true }) : void join())}
          >
            {info.is_member ? 'Open room' : 'Join'}
          </button>
        )}
      </div>
    </Dialog>
  );
}
