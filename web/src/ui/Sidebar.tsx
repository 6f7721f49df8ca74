import { useState, type FormEvent } from 'react';
import { api, errorText } from '../api/client';
import type { Room } from '../api/types';
import { DIRECT_MAX, parseUsernames } from '../state/direct';
import { Icon } from './Icon';

export function Sidebar(props: {
  mine: Room[];
  /** The user's direct conversations, named by the other people. */
  direct: Room[];
  /** Opens (and goes to) the conversation with these people; rejects with the reason. */
  onOpenDirect: (usernames: string[]) => Promise<void>;
  /** The user's username (not someone to write to). */
  username: string;
  others: Room[];
  currentId: number | null;
  error: string | null;
  onJoin: (room: Room) => void;
  onCreated: (room: Room) => void;
  onRefresh: () => void;
}) {
  const [creating, setCreating] = useState(false);
  const [writing, setWriting] = useState(false);
  const byName = (a: Room, b: Room) => a.name.localeCompare(b.name);
  return (
    <nav className="sidebar" aria-label="Rooms">
      <div className="sidebar-section">
        <div className="section-head">
          <h2>Your rooms</h2>
          <button className="small" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
            {creating ? 'Cancel' : 'New room'}
          </button>
        </div>
        {creating && (
          <CreateRoom
            onCreated={(r) => {
              setCreating(false);
              props.onCreated(r);
            }}
          />
        )}
        {props.mine.length === 0 ? (
          <p className="muted small-text">No rooms yet. Join one below or create one.</p>
        ) : (
          <ul className="room-list">
            {[...props.mine].sort(byName).map((r) => (
              <RoomLink key={r.id} room={r} current={r.id === props.currentId} />
            ))}
          </ul>
        )}
      </div>
      <div className="sidebar-section">
        <div className="section-head">
          <h2>Direct messages</h2>
          <button className="small" aria-expanded={writing} onClick={() => setWriting((w) => !w)}>
            {writing ? 'Cancel' : 'New message'}
          </button>
        </div>
        {writing && (
          <NewDirect
            username={props.username}
            onOpen={async (names) => {
              await props.onOpenDirect(names);
              setWriting(false);
            }}
          />
        )}
        {props.direct.length === 0 ? (
          <p className="muted small-text">No direct messages yet.</p>
        ) : (
          <ul className="room-list" aria-label="Direct messages">
            {[...props.direct].sort(byName).map((r) => (
              <RoomLink key={r.id} room={r} current={r.id === props.currentId} direct />
            ))}
          </ul>
        )}
      </div>
      <div className="sidebar-section">
        <div className="section-head">
          <h2>Browse public rooms</h2>
          <button className="small ghost" onClick={props.onRefresh} aria-label="Refresh room list">
            <Icon name="refresh" size={15} />
          </button>
        </div>
        {props.error && (
          <p className="error small-text" role="alert">
            {props.error}
          </p>
        )}
        {props.others.length === 0 ? (
          <p className="muted small-text">Nothing else to join right now.</p>
        ) : (
          <ul className="room-list">
            {[...props.others].sort(byName).map((r) => (
              <li key={r.id} className="browse-item">
                <a href={`#/rooms/${r.id}`} className="room-link" aria-current={r.id === props.currentId ? 'page' : undefined}>
                  <span className="room-hash">
                    <Icon name="hash" size={15} />
                  </span>
                  <span className="room-name" dir="auto">
                    {r.name}
                  </span>
                </a>
                <button className="small" onClick={() => props.onJoin(r)} aria-label={`Join ${r.name}`}>
                  Join
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </nav>
  );
}

/** A room (or direct conversation) of the user's, with its unread and mention counts. */
function RoomLink(props: { room: Room; current: boolean; direct?: boolean }) {
  const r = props.room;
  const unread = Math.max(0, r.unread_count ?? 0);
  const mentions = Math.max(0, r.mention_count ?? 0);
  return (
    <li>
      <a href={`#/rooms/${r.id}`} className={`room-link ${unread > 0 || mentions > 0 ? 'unread' : ''}`} aria-current={props.current ? 'page' : undefined}>
        <span className="room-hash">
          <Icon name={props.direct ? 'at' : r.is_private ? 'lock' : 'hash'} size={15} />
        </span>
        <span className="room-name" dir="auto">
          {r.name}
        </span>
        {r.is_private && !props.direct && <span className="sr-only"> (private)</span>}
        {mentions > 0 && <MentionBadge count={mentions} />}
        {unread > 0 && <UnreadBadge count={unread} />}
      </a>
    </li>
  );
}

/** Messages after the read pointer that mention the user. */
function MentionBadge(props: { count: number }) {
  return (
    <span className="mention-badge" data-testid="mention-badge">
      <span aria-hidden="true">@{props.count > 99 ? '99+' : props.count}</span>
      <span className="sr-only">, {props.count === 1 ? '1 mention' : `${props.count} mentions`}</span>
    </span>
  );
}

/** Asks for the people of a new direct conversation (comma-separated usernames). */
function NewDirect(props: { username: string; onOpen: (usernames: string[]) => Promise<void> }) {
  const [who, setWho] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const { names, error: bad } = parseUsernames(who, props.username);
    if (bad) {
      setError(bad);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await props.onOpen(names);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }
  return (
    <form className="create-room" onSubmit={submit}>
      <label className="field">
        <span>Usernames</span>
        <input autoCapitalize="none" autoComplete="off" spellCheck={false} value={who} onChange={(e) => setWho(e.target.value)} aria-describedby="new-direct-hint" />
      </label>
      <p className="muted small-text" id="new-direct-hint">
        Separated by commas, up to {DIRECT_MAX} people.
      </p>
      {error && (
        <p className="error small-text" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Open conversation
      </button>
    </form>
  );
}

/**
 * The unread count on a room: the number shows, the words are read out
 * (boldness alone would say nothing to a screen reader).
 */
function UnreadBadge(props: { count: number }) {
  return (
    <span className="unread-badge" data-testid="unread-badge">
      <span aria-hidden="true">{props.count > 99 ? '99+' : props.count}</span>
      <span className="sr-only">, {props.count} unread</span>
    </span>
  );
}

function CreateRoom(props: { onCreated: (room: Room) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const room = await api.post<Room>('/rooms', { name, description, is_private: isPrivate });
      props.onCreated(room);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="create-room" onSubmit={submit}>
      <label className="field">
        <span>Room name</span>
        <input required maxLength={80} dir="auto" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        <span>Description</span>
        <input maxLength={1000} dir="auto" value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <label className="check">
        <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />
        <span>Private room</span>
      </label>
      {error && (
        <p className="error small-text" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Create room
      </button>
    </form>
  );
}
