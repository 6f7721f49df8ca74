// Messages sent later: the "Send later" popover by the send button, the
// room's pending scheduled messages (GET /scheduled), and the dialog that
// lists them to change or cancel. A scheduled message leaves the list when
// its delivered copy (client_id "scheduled-<id>") reaches the room.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, asArray, errorText } from '../api/client';
import type { ScheduledMessage } from '../api/types';
import type { UserStream } from '../net/stream';
import { validateContent } from '../state/pending';
import { deliveredId, dropDelivered, fromLocalInput, inOneHour, removeScheduled, sendAtProblem, toLocalInput, tomorrowAtNine, upsertScheduled } from '../state/scheduled';
import { ConfirmDialog, Dialog } from './Dialog';
import { fullTime } from './format';
import { Popover, type Side } from './Popover';

/** The user's pending scheduled messages in one room, kept current. */
export function useScheduled(roomId: number, me: number, stream: UserStream) {
  const [list, setList] = useState<ScheduledMessage[]>([]);
  // Delivered while the list was being read: never listed again.
  const delivered = useRef(new Set<number>());

  const refresh = useCallback(async () => {
    const all = asArray<ScheduledMessage>(await api.get('/scheduled'));
    setList(all.filter((s) => s.room_id === roomId && !delivered.current.has(s.id)).reduce(upsertScheduled, [] as ScheduledMessage[]));
  }, [roomId]);

  useEffect(() => {
    refresh().catch(() => {});
  }, [refresh]);

  useEffect(
    () =>
      stream.listen((ev) => {
        if (ev.type !== 'message') return;
        const id = deliveredId(ev, me);
        if (id === null) return;
        delivered.current.add(id);
        setList((l) => dropDelivered(l, ev, me));
      }, roomId),
    [stream, roomId, me],
  );

  /** Schedules a message (POST with send_at: 202 and the scheduled message). */
  const schedule = useCallback(
    async (content: string, at: Date, replyTo?: number) => {
      const body: Record<string, unknown> = { content, send_at: at.toISOString() };
      if (replyTo) body.reply_to = replyTo;
      const s = await api.post<ScheduledMessage>(`/rooms/${roomId}/messages`, body);
      if (s && typeof s.id === 'number' && !delivered.current.has(s.id)) setList((l) => upsertScheduled(l, s));
    },
    [roomId],
  );

  const update = useCallback(async (id: number, patch: { content?: string; send_at?: string }) => {
    const s = await api.patch<ScheduledMessage>(`/scheduled/${id}`, patch);
    if (s && typeof s.id === 'number') setList((l) => upsertScheduled(l, s));
  }, []);

  const cancel = useCallback(async (id: number) => {
    await api.del(`/scheduled/${id}`);
    setList((l) => removeScheduled(l, id));
  }, []);

  return { list, refresh, schedule, update, cancel };
}

/**
 * The "Send later" popover: two presets and a date and time of the user's
 * choosing. onPick schedules the composer's text; it rejects with the
 * reason when it cannot.
 */
export function SendLater(props: { side: Side; toggle: () => HTMLElement | null; onClose: () => void; onPick: (at: Date) => Promise<void> }) {
  const [value, setValue] = useState(() => toLocalInput(inOneHour(Date.now())));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function pick(at: Date | null) {
    const bad = sendAtProblem(at, Date.now());
    if (bad || !at) {
      setError(bad);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await props.onPick(at);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  }

  return (
    <Popover label="Send later" side={props.side} className="send-later" toggle={props.toggle} onClose={props.onClose}>
      <p className="popup-title">Send later</p>
      <button type="button" disabled={busy} onClick={() => pick(inOneHour(Date.now()))}>
        In 1 hour
      </button>
      <button type="button" disabled={busy} onClick={() => pick(tomorrowAtNine(Date.now()))}>
        Tomorrow 9:00
      </button>
      {/* Not a form: this sits inside the composer's form, and forms do not nest. */}
      <div className="send-later-custom">
        <label className="field">
          <span>Date and time</span>
          <input
            type="datetime-local"
            step={1}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            onKeyDown={(e) => {
              if (e.key !== 'Enter') return;
              e.preventDefault();
              void pick(fromLocalInput(value));
            }}
          />
        </label>
        <button type="button" className="primary small" disabled={busy} onClick={() => void pick(fromLocalInput(value))}>
          Schedule
        </button>
      </div>
      {error && (
        <p className="error small-text" role="alert">
          {error}
        </p>
      )}
    </Popover>
  );
}

/** The room's scheduled messages: each can be changed (text and time) or cancelled. */
export function ScheduledDialog(props: {
  list: ScheduledMessage[];
  onClose: () => void;
  onSave: (id: number, patch: { content?: string; send_at?: string }) => Promise<void>;
  onCancel: (id: number) => Promise<void>;
}) {
  const [editing, setEditing] = useState<number | null>(null);
  const [cancelling, setCancelling] = useState<ScheduledMessage | null>(null);
  if (cancelling) {
    return (
      <ConfirmDialog
        title="Cancel scheduled message"
        confirmLabel="Cancel message"
        danger
        onCancel={() => setCancelling(null)}
        onConfirm={async () => {
          await props.onCancel(cancelling.id);
          setCancelling(null);
        }}
      >
        <p>This message will not be sent:</p>
        <blockquote className="scheduled-text" dir="auto">
          {cancelling.content}
        </blockquote>
      </ConfirmDialog>
    );
  }
  return (
    <Dialog title="Scheduled messages" onClose={props.onClose} className="scheduled">
      {props.list.length === 0 ? (
        <p className="muted small-text" role="status">
          Nothing is scheduled in this room.
        </p>
      ) : (
        <ul className="scheduled-list" aria-label="Scheduled messages">
          {props.list.map((s) => (
            <li key={s.id} data-testid="scheduled-item">
              {editing === s.id ? (
                <ScheduledEditor s={s} onDone={() => setEditing(null)} onSave={props.onSave} />
              ) : (
                <>
                  <p className="scheduled-text" dir="auto">
                    {s.content}
                  </p>
                  <p className="muted small-text">
                    Sends <time dateTime={s.send_at}>{fullTime(Date.parse(s.send_at))}</time>
                  </p>
                  <div className="inline-form">
                    <button type="button" className="small" onClick={() => setEditing(s.id)}>
                      Edit
                    </button>
                    <button type="button" className="small danger" onClick={() => setCancelling(s)}>
                      Cancel message
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="modal-actions">
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

function ScheduledEditor(props: { s: ScheduledMessage; onDone: () => void; onSave: (id: number, patch: { content?: string; send_at?: string }) => Promise<void> }) {
  const { s } = props;
  const [text, setText] = useState(s.content);
  const [when, setWhen] = useState(() => toLocalInput(new Date(s.send_at)));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function save(e: FormEvent) {
    e.preventDefault();
    const patch: { content?: string; send_at?: string } = {};
    const t = text.trim();
    if (t !== s.content) {
      const bad = validateContent(t);
      if (bad) return setError(bad);
      patch.content = t;
    }
    // A time left as it was is not sent (it would lose its milliseconds).
    if (when !== toLocalInput(new Date(s.send_at))) {
      const at = fromLocalInput(when);
      const bad = sendAtProblem(at, Date.now());
      if (bad || !at) return setError(bad);
      patch.send_at = at.toISOString();
    }
    if (!patch.content && !patch.send_at) return props.onDone();
    setBusy(true);
    setError(null);
    try {
      await props.onSave(s.id, patch);
      props.onDone();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }
  return (
    <form onSubmit={save} className="scheduled-edit">
      <label className="field">
        <span>Text</span>
        <textarea rows={3} dir="auto" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <label className="field">
        <span>Send at</span>
        <input type="datetime-local" step={1} value={when} onChange={(e) => setWhen(e.target.value)} />
      </label>
      {error && (
        <p className="error small-text" role="alert">
          {error}
        </p>
      )}
      <div className="inline-form">
        <button type="button" className="small" onClick={props.onDone}>
          Discard changes
        </button>
        <button type="submit" className="small primary" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}
