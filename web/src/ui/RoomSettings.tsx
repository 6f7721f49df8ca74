// The owner's room settings: rename, describe, privacy, hand the room to
// another member, delete it. Only the owner sees them; the server checks.
import { useState, type FormEvent } from 'react';
import { api, errorText } from '../api/client';
import type { Member, Room, User } from '../api/types';
import { ConfirmDialog, Dialog } from './Dialog';

type Confirming = { kind: 'transfer'; to: Member } | { kind: 'delete' } | null;

export function RoomSettings(props: {
  room: Room;
  members: Member[];
  me: User;
  onSaved: (room: Room) => void;
  /** Deletes the room (rejects with the reason when it could not). */
  deleteRoom: () => Promise<void>;
  onClose: () => void;
}) {
  const { room } = props;
  const [name, setName] = useState(room.name);
  const [description, setDescription] = useState(room.description ?? '');
  const [isPrivate, setPrivate] = useState(room.is_private);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const others = props.members.filter((m) => m.id !== props.me.id).sort((a, b) => (a.display_name || a.username).localeCompare(b.display_name || b.username));
  const [heir, setHeir] = useState<number | ''>('');
  const [confirming, setConfirming] = useState<Confirming>(null);

  async function save(e: FormEvent) {
    e.preventDefault();
    const patch: Record<string, unknown> = {};
    if (name !== room.name) patch.name = name;
    if (description !== (room.description ?? '')) patch.description = description;
    if (isPrivate !== room.is_private) patch.is_private = isPrivate;
    if (Object.keys(patch).length === 0) {
      setMsg({ ok: true, text: 'Nothing to save.' });
      return;
    }
    setBusy(true);
    setMsg(null);
    try {
      const saved = await api.patch<Room>(`/rooms/${room.id}`, patch);
      props.onSaved(saved);
      setName(saved.name);
      setDescription(saved.description ?? '');
      setPrivate(saved.is_private);
      setMsg({ ok: true, text: 'Saved.' });
    } catch (err) {
      setMsg({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  if (confirming?.kind === 'transfer') {
    const who = confirming.to.display_name || confirming.to.username;
    return (
      <ConfirmDialog
        title="Transfer ownership"
        confirmLabel="Make owner"
        onCancel={() => setConfirming(null)}
        onConfirm={async () => {
          const saved = await api.post<Room>(`/rooms/${room.id}/owner`, { user_id: confirming.to.id });
          props.onSaved(saved);
          props.onClose();
        }}
      >
        <p>
          Make <bdi>{who}</bdi> the owner of <bdi>{room.name}</bdi>? You stay a member, but only they can change the room afterwards.
        </p>
      </ConfirmDialog>
    );
  }
  if (confirming?.kind === 'delete') {
    return (
      <ConfirmDialog
        title="Delete room"
        confirmLabel="Delete room"
        danger
        onCancel={() => setConfirming(null)}
        onConfirm={async () => {
          await props.deleteRoom();
        }}
      >
        <p>
          Delete <bdi>{room.name}</bdi> with all its messages and files, for everyone? This cannot be undone.
        </p>
      </ConfirmDialog>
    );
  }
  return (
    <Dialog title="Room settings" onClose={props.onClose} className="room-settings">
      <form onSubmit={save}>
        <label className="field">
          <span>Room name</span>
          <input required maxLength={80} dir="auto" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>Description</span>
          <textarea maxLength={1000} rows={3} dir="auto" value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />
          <span>Private room (only members you add can see it)</span>
        </label>
        {msg && (
          <p className={msg.ok ? 'ok small-text' : 'error small-text'} role={msg.ok ? 'status' : 'alert'}>
            {msg.text}
          </p>
        )}
        <div className="modal-actions">
          <button type="button" onClick={props.onClose}>
            Close
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
      <section className="settings-section">
        <h3>Transfer ownership</h3>
        {others.length === 0 ? (
          <p className="muted small-text">Nobody else is a member yet.</p>
        ) : (
          <div className="inline-form">
            <label className="sr-only" htmlFor="new-owner">
              New owner
            </label>
            <select id="new-owner" value={heir} onChange={(e) => setHeir(e.target.value ? Number(e.target.value) : '')}>
              <option value="">Choose a member…</option>
              {others.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.display_name || m.username} (@{m.username})
                </option>
              ))}
            </select>
            <button
              className="small"
              disabled={heir === ''}
              onClick={() => {
                const to = others.find((m) => m.id === heir);
                if (to) setConfirming({ kind: 'transfer', to });
              }}
            >
              Transfer
            </button>
          </div>
        )}
      </section>
      <section className="settings-section">
        <h3>Delete room</h3>
        <p className="muted small-text">Removes the room, its messages and its files for everyone.</p>
        <button className="danger small" onClick={() => setConfirming({ kind: 'delete' })}>
          Delete room…
        </button>
      </section>
    </Dialog>
  );
}
