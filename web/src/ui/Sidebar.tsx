import { useState, type FormEvent } from 'react';
import { api, errorText } from '../api/client';
import type { Room } from '../api/types';
import { Icon } from './Icon';

export function Sidebar(props: {
  mine: Room[];
  others: Room[];
  currentId: number | null;
  error: string | null;
  onJoin: (room: Room) => void;
  onCreated: (room: Room) => void;
  onRefresh: () => void;
}) {
  const [creating, setCreating] = useState(false);
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
            {[...props.mine].sort(byName).map((r) => {
              const unread = Math.max(0, r.unread_count ?? 0);
              return (
                <li key={r.id}>
                  <a
                    href={`#/rooms/${r.id}`}
                    className={`room-link ${unread > 0 ? 'unread' : ''}`}
                    aria-current={r.id === props.currentId ? 'page' : undefined}
                  >
                    <span className="room-hash">
                      <Icon name={r.is_private ? 'lock' : 'hash'} size={15} />
                    </span>
                    <span className="room-name" dir="auto">
                      {r.name}
                    </span>
                    {r.is_private && <span className="sr-only"> (private)</span>}
                    {unread > 0 && <UnreadBadge count={unread} />}
                  </a>
                </li>
              );
            })}
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
