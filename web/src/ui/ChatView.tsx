import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { api } from '../api/client';
import type { FileItem, Room, User } from '../api/types';
import type { Status, UserStream } from '../net/stream';
import { browserStorage, loadDraft, saveDraft } from '../state/drafts';
import { dividerSeq, seenBy, type ReadMark } from '../state/reading';
import { maxSeq, typingNames, typingParts } from '../state/roomReducer';
import { RowBuilder } from '../state/timeline';
import { Composer } from './Composer';
import { ConfirmDialog, useModal } from './Dialog';
import { Icon } from './Icon';
import { MemberPanel } from './MemberPanel';
import { BrokenLinkContext, MessageList } from './MessageList';
import { RoomSettings } from './RoomSettings';
import { useRoom } from './useRoom';

export function ChatView(props: {
  roomId: number;
  room: Room | undefined;
  me: User;
  stream: UserStream;
  /** The page is visible and has focus: what shows counts as read. */
  attention: boolean;
  onMembership: (member: boolean) => void;
  onJoin: () => Promise<void> | void;
  /** This view moved the user's read pointer in the room to seq. */
  onRead: (roomId: number, seq: number) => void;
  /** What to say if the room goes away, because this user is leaving or deleting it (null: not any more). */
  expectRemoval: (why: string | null) => void;
  onLeft: (msg?: string) => void;
  /** The owner saved the room's settings or handed it over. */
  onRoomUpdated: (room: Room) => void;
}) {
  const { me, roomId, room, stream } = props;
  const r = useRoom(roomId, me, stream, { onRemoved: (msg) => props.onLeft(msg), onMembership: props.onMembership });
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const isOwner = room?.owner_id === me.id;
  const [membersOpen, setMembersOpen] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [lightboxId, setLightboxId] = useState<number | null>(null);
  const lightbox = lightboxId === null ? undefined : r.state.files.find((f) => f.id === lightboxId);
  const setLightbox = useCallback((f: FileItem | null) => setLightboxId(f ? f.id : null), []);
  const [leaving, setLeaving] = useState(false);
  const dragDepth = useRef(0);
  const scrollToEnd = useRef<() => void>(() => {});

  // Where the user stood when the room opened: the "New messages" divider
  // stays there while the room is open. Nothing is marked read before it is
  // known, or the divider would have nothing to show.
  const [mark, setMark] = useState<ReadMark | null>(null);
  const loaded = r.access === 'ok' && r.state.historyLoaded;
  const newest = maxSeq(r.state.messages);
  useEffect(() => {
    if (mark || !loaded || typeof room?.last_read_seq !== 'number') return;
    setMark({ readSeq: room.last_read_seq, lastSeq: Math.max(room.last_seq ?? 0, room.last_read_seq) });
  }, [mark, loaded, room?.last_read_seq, room?.last_seq]);

  // Read while it shows: the newest message, whenever it changes or the
  // user comes back to the page.
  const { onRead, attention } = props;
  useEffect(() => {
    if (!mark || !attention || newest <= 0) return;
    stream.read(roomId, newest);
    onRead(roomId, newest);
  }, [mark, attention, newest, stream, roomId, onRead]);

  // Joined or added elsewhere (another tab, the owner): the room opens here too.
  const { reload, access } = r;
  useEffect(() => {
    if (room?.is_member && (access === 'not_member' || access === 'not_found')) reload();
  }, [room?.is_member, access, reload]);

  const divider = dividerSeq(r.state.messages, mark, me.id, r.state.hasMore);
  const now = Date.now();
  // One per room (this view is keyed by it): rows keep their identity across rebuilds.
  const [rowBuilder] = useState(() => new RowBuilder());
  const timeline = useMemo(
    () =>
      rowBuilder.build({
        messages: r.state.messages,
        files: r.state.files,
        pending: r.pending,
        hasMore: r.state.hasMore,
        me: { id: me.id, username: me.username },
        now,
        dividerSeq: divider,
      }),
    // `now` only fills in missing times; it need not trigger a rebuild.
    [rowBuilder, r.state.messages, r.state.files, r.pending, r.state.hasMore, me.id, me.username, divider],
  );
  const typing = typingNames(r.state, me.id, now);
  const members = r.state.members;
  const online = members.filter((m) => m.online);
  // Rebuilt only when someone's profile or presence changes: rows compare their profile by identity.
  const profiles = useMemo(() => {
    const map = new Map(members.map((m) => [m.id, m]));
    map.set(me.id, { id: me.id, username: me.username, display_name: me.display_name, avatar_url: me.avatar_url, online: true });
    return map;
  }, [members, me.id, me.username, me.display_name, me.avatar_url]);
  const seen = useMemo(() => seenBy(members, r.state.messages[r.state.messages.length - 1], me.id), [members, r.state.messages, me.id]);

  const rSend = r.send;
  const send = useCallback(
    (text: string) => {
      rSend(text);
      scrollToEnd.current();
    },
    [rSend],
  );
  const dispatch = r.dispatch;
  // This view is keyed by the room: the draft is read once, as it opens.
  const [draft] = useState(() => loadDraft(browserStorage(), me.id, roomId));
  const onDraft = useCallback((text: string) => saveDraft(browserStorage(), me.id, roomId, text), [me.id, roomId]);

  useEffect(() => {
    if (!r.state.lastError) return;
    const t = setTimeout(() => dispatch({ type: 'clear_error' }), 6000);
    return () => clearTimeout(t);
  }, [r.state.lastError, dispatch]);

  // Leaving and deleting: the stream's room_removed may come before the
  // answer, so what to say is settled first.
  async function remove(path: string, why: string) {
    props.expectRemoval(why);
    try {
      await api.del(path);
    } catch (e) {
      props.expectRemoval(null);
      throw e;
    }
    props.onLeft(why);
  }

  async function leave() {
    setLeaving(true);
    try {
      await remove(`/rooms/${roomId}/leave`, `You left ${room?.name ?? 'the room'}.`);
    } catch (e) {
      setLeaving(false);
      throw e;
    }
  }

  const leaveDialog = confirmLeave && (
    <ConfirmDialog title="Leave room" confirmLabel="Leave room" onCancel={() => setConfirmLeave(false)} onConfirm={leave}>
      <p>
        Leave <bdi>{room ? room.name : 'this room'}</bdi>?
      </p>
      {isOwner && (
        <p className="muted small-text">
          You own this room: leaving hands it to the member who joined earliest. If you are its only member, the room is deleted.
        </p>
      )}
    </ConfirmDialog>
  );

  if (r.access !== 'ok') {
    return (
      <section className="chat chat-empty" aria-label={room ? `Room ${room.name}` : 'Room'}>
        {r.access === 'loading' && <p className="muted">Loading room…</p>}
        {r.access === 'not_member' && (
          <div className="gate">
            <h1>{room ? <># <bdi>{room.name}</bdi></> : 'Public room'}</h1>
            {room?.description && (
              <p className="muted" dir="auto">
                {room.description}
              </p>
            )}
            <p>You are not a member of this room yet.</p>
            <button
              className="primary"
              onClick={async () => {
                await props.onJoin();
                r.reload();
              }}
            >
              Join room
            </button>
          </div>
        )}
        {r.access === 'not_found' && (
          <div className="gate">
            <h1>Room not found</h1>
            <p className="muted">It does not exist, or it is private and you have not been added.</p>
            <a href="#/">Back to your rooms</a>
          </div>
        )}
        {r.access === 'error' && (
          <div className="gate">
            <p className="error" role="alert">
              {r.accessError}
            </p>
            <button onClick={r.reload}>Try again</button>
          </div>
        )}
      </section>
    );
  }

  const onDragEnter = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    dragDepth.current++;
    setDragging(true);
  };
  const onDragLeave = () => {
    dragDepth.current = Math.max(0, dragDepth.current - 1);
    if (dragDepth.current === 0) setDragging(false);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    dragDepth.current = 0;
    setDragging(false);
    Array.from(e.dataTransfer.files).forEach(r.uploadFile);
  };

  return (
    <BrokenLinkContext.Provider value={r.refreshLinks}>
      <section
        className={`chat ${membersOpen ? 'members-open' : ''}`}
        aria-label={room ? `Room ${room.name}` : `Room ${roomId}`}
        onDragEnter={onDragEnter}
        onDragOver={(e) => e.dataTransfer.types.includes('Files') && e.preventDefault()}
        onDragLeave={onDragLeave}
        onDrop={onDrop}
      >
        <div className="chat-main">
          <header className="room-header">
            <div className="room-title">
              <h1>
                <span className="room-hash">
                  <Icon name={room?.is_private ? 'lock' : 'hash'} size={17} />
                </span>{' '}
                <bdi>{room?.name ?? `Room ${roomId}`}</bdi>
              </h1>
              {room?.description && (
                <p className="room-desc" dir="auto">
                  {room.description}
                </p>
              )}
            </div>
            <ConnectionIndicator status={r.status} attempt={r.attempt} />
            {isOwner && room && (
              <button className="small" onClick={() => setSettingsOpen(true)} aria-haspopup="dialog">
                <Icon name="settings" size={15} /> <span className="members-label">Room settings</span>
              </button>
            )}
            <button className="small members-toggle" aria-expanded={membersOpen} aria-controls="member-panel" onClick={() => setMembersOpen((o) => !o)}>
              <Icon name="users" size={15} /> <span className="members-label">Members</span> <span className="count">{online.length}</span>
              <span className="sr-only"> online</span>
            </button>
          </header>
          <MessageList
            key={roomId}
            timeline={timeline}
            profiles={profiles}
            me={me}
            hasMore={r.state.hasMore}
            historyLoaded={r.state.historyLoaded}
            loadingOlder={r.loadingOlder}
            loadOlder={r.loadOlder}
            roomName={room?.name ?? ''}
            onOpenImage={setLightbox}
            onDiscard={r.discard}
            status={r.status}
            scrollToEndRef={scrollToEnd}
            seenBy={seen}
          />
          <div className="below-list">
            <p className="typing" aria-live="polite">
              <TypingLine names={typing} />
            </p>
            {r.state.lastError && (
              <p className="error small-text" role="alert">
                {r.state.lastError}
              </p>
            )}
            {r.uploads.map((u) => (
              <div key={u.id} className="upload-row">
                <span className="upload-name" dir="auto">
                  {u.name}
                </span>
                {u.error ? (
                  <>
                    <span className="error small-text" role="alert">
                      {u.error}
                    </span>
                    <button className="small ghost" onClick={() => r.dismissUpload(u.id)}>
                      Dismiss
                    </button>
                  </>
                ) : (
                  <>
                    <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
                    <button className="small ghost" onClick={u.abort}>
                      Cancel
                    </button>
                  </>
                )}
              </div>
            ))}
          </div>
          <Composer
            onSend={send}
            onTyping={r.typing}
            onFiles={(files) => files.forEach(r.uploadFile)}
            offline={r.status !== 'open'}
            draft={draft}
            onDraft={onDraft}
          />
          {dragging && (
            <div className="drop-overlay" aria-hidden="true">
              Drop files to share them in {room?.name ?? 'this room'}
            </div>
          )}
        </div>
        <MemberPanel
          id="member-panel"
          members={members}
          me={me}
          room={room}
          roomId={roomId}
          files={r.state.files}
          onClose={() => setMembersOpen(false)}
          onAdded={() => r.refreshMembers().catch(() => {})}
          onOpenImage={setLightbox}
          onLeave={() => setConfirmLeave(true)}
          leaving={leaving}
          live={r.status === 'open'}
        />
        {lightbox && <Lightbox file={lightbox} onClose={() => setLightbox(null)} onBroken={r.refreshLinks} />}
        {leaveDialog}
        {settingsOpen && room && (
          <RoomSettings
            room={room}
            members={members}
            me={me}
            onSaved={props.onRoomUpdated}
            deleteRoom={() => remove(`/rooms/${roomId}`, `You deleted ${room.name}.`)}
            onClose={() => setSettingsOpen(false)}
          />
        )}
      </section>
    </BrokenLinkContext.Provider>
  );
}

/** "… is typing", each name isolated so a right-to-left name can't reorder the line. */
function TypingLine(props: { names: string[] }) {
  return (
    <>
      {typingParts(props.names).map((p, i) => (typeof p === 'string' ? <span key={i}>{p}</span> : <bdi key={i}>{p.name}</bdi>))}
    </>
  );
}

/** What the connection indicator says for each status. */
export const STATUS_TEXT: Record<Status, string> = {
  idle: 'Connecting…',
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline — messages will be sent when you reconnect',
  closed: 'Disconnected',
};

export function ConnectionIndicator(props: { status: Status; attempt: number }) {
  const label = STATUS_TEXT[props.status];
  // On a phone the header shows "Offline" alone; the rest is still read out.
  const cut = label.indexOf(' — ');
  return (
    <span className={`conn conn-${props.status}`} role="status" title={props.attempt ? `Attempt ${props.attempt}` : undefined}>
      <span className="conn-dot" aria-hidden="true" />
      {cut < 0 ? (
        label
      ) : (
        <>
          {label.slice(0, cut)}
          <span className="conn-more">{label.slice(cut)}</span>
        </>
      )}
    </span>
  );
}

function Lightbox(props: { file: FileItem; onClose: () => void; onBroken: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useModal(props.onClose, () => close.current);
  return (
    <div className="lightbox" role="dialog" aria-modal="true" aria-label={props.file.filename} onClick={props.onClose}>
      <figure onClick={(e) => e.stopPropagation()}>
        <img src={props.file.file_url} alt={props.file.filename} onError={props.onBroken} />
        <figcaption>
          <span dir="auto">{props.file.filename}</span>
          <a href={props.file.file_url} download={props.file.filename}>
            Download
          </a>
          <button ref={close} onClick={props.onClose}>
            Close
          </button>
        </figcaption>
      </figure>
    </div>
  );
}
