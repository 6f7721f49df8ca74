import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type DragEvent, type ReactNode } from 'react';
import { api, errorText } from '../api/client';
import type { FileItem, Message, Quote, Room, User } from '../api/types';
import type { Status, UserStream } from '../net/stream';
import { canDelete, canEdit, cutQuote, lastOwn } from '../state/changes';
import { deletePath } from '../state/admin';
import { isDirect } from '../state/direct';
import { browserStorage, loadDraft, saveDraft } from '../state/drafts';
import { dividerSeq, seenBy, type ReadMark } from '../state/reading';
import { maxSeq, NEWER_MAX, typingNames, typingParts } from '../state/roomReducer';
import { RowBuilder } from '../state/timeline';
import { Composer } from './Composer';
import { ConfirmDialog, modalOpen, useModal } from './Dialog';
import { EmojiPicker } from './EmojiPicker';
import { Icon } from './Icon';
import { InviteDialog } from './Invites';
import { MemberPanel } from './MemberPanel';
import { MessageActionsContext, type EditState, type MessageActions } from './messageActions';
import { BrokenLinkContext, MessageList } from './MessageList';
import { ProfileCard, ProfileCardContext, type CardPerson } from './ProfileCard';
import { RoomSettings } from './RoomSettings';
import { ScheduledDialog, useScheduled } from './Scheduled';
import { useRoom, type RoomTarget } from './useRoom';
import { VersionsDialog } from './Versions';

/** Wide enough for the member panel to sit beside the messages (narrower, it is an overlay). */
const WIDE = '(min-width: 1001px)';
const MEMBERS_KEY = 'chat.members';
/** How long a message the room was opened at stays marked. */
const TARGET_FLASH_MS = 2500;

function matches(query: string): boolean {
  return typeof matchMedia === 'function' && matchMedia(query).matches;
}

function useMatches(query: string): boolean {
  return useSyncExternalStore(
    (fn) => {
      if (typeof matchMedia !== 'function') return () => {};
      const m = matchMedia(query);
      m.addEventListener('change', fn);
      return () => m.removeEventListener('change', fn);
    },
    () => matches(query),
  );
}

/** Beside the messages the panel shows unless the user hid it (remembered). */
function shownBeside(): boolean {
  try {
    return localStorage.getItem(MEMBERS_KEY) !== 'hidden';
  } catch {
    return true;
  }
}

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
  /** Opens (and goes to) the direct conversation with a user; rejects with the reason. */
  onOpenDirect: (userId: number) => Promise<void>;
  /** A message to show (a search hit): the room opens there, with its context. */
  target?: RoomTarget | null;
}) {
  const { me, roomId, room, stream } = props;
  const r = useRoom(roomId, me, stream, { onRemoved: (msg) => props.onLeft(msg), onMembership: props.onMembership }, props.target ?? null);
  const dispatch = r.dispatch;
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const isOwner = room?.owner_id === me.id;
  // Beside the messages (wide) the panel shows until hidden; as an overlay (narrower) it opens on demand.
  const wide = useMatches(WIDE);
  const [beside, setBeside] = useState(shownBeside);
  const [overlayOpen, setOverlayOpen] = useState(false);
  const membersOpen = wide ? beside : overlayOpen;
  const membersButton = useRef<HTMLButtonElement>(null);
  const [inviteOpen, setInviteOpen] = useState(false);
  const [card, setCard] = useState<{ id: number; username: string } | null>(null);
  const openCard = useCallback((id: number, username: string) => setCard({ id, username }), []);
  const [dragging, setDragging] = useState(false);
  // The image shown large: the room's copy of the file when it has one (its links are refreshed).
  const [lightboxFile, setLightbox] = useState<FileItem | null>(null);
  const lightbox = lightboxFile ? (r.state.files.find((f) => f.id === lightboxFile.id) ?? lightboxFile) : undefined;
  const direct = isDirect(room);
  const scheduled = useScheduled(roomId, me.id, stream);
  const [scheduledOpen, setScheduledOpen] = useState(false);
  const [editing, setEditing] = useState<EditState | null>(null);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [deleting, setDeleting] = useState<Message | null>(null);
  const [versionsOf, setVersionsOf] = useState<Message | null>(null);
  const [reactingTo, setReactingTo] = useState<Message | null>(null);
  const jump = useRef<(messageId: number, focus?: boolean, flashMs?: number) => boolean>(() => false);
  const [leaving, setLeaving] = useState(false);
  const dragDepth = useRef(0);
  const scrollToEnd = useRef<() => void>(() => {});

  // Where the user stood when the room opened: the "New messages" divider
  // stays there while the room is open. Nothing is marked read before it is
  // known, or the divider would have nothing to show.
  const [mark, setMark] = useState<ReadMark | null>(null);
  const loaded = r.access === 'ok' && r.state.historyLoaded;
  // The newest seq shown, of a message or a change: the read pointer goes
  // there (opened at an older message, no further than the list goes).
  const newest = r.state.detached ? maxSeq(r.state.messages) : Math.max(maxSeq(r.state.messages), r.state.lastSeq);
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

  // A room that opens is for writing in: focus goes to the composer (not on
  // touch screens, where that would pop the keyboard up over the room).
  useEffect(() => {
    if (access !== 'ok' || matches('(pointer: coarse)') || modalOpen()) return;
    document.getElementById('composer-text')?.focus({ preventScroll: true });
  }, [access]);

  const setMembersOpen = useCallback((open: boolean) => {
    if (matches(WIDE)) {
      setBeside(open);
      try {
        localStorage.setItem(MEMBERS_KEY, open ? 'shown' : 'hidden');
      } catch {
        /* storage disabled: remembered until reload */
      }
      return;
    }
    setOverlayOpen(open);
    // As an overlay the panel takes focus while open and gives it back when it closes.
    if (open) requestAnimationFrame(() => document.querySelector<HTMLElement>('#member-panel .panel-close')?.focus());
    else membersButton.current?.focus();
  }, []);

  // Escape closes the panel when it covers the room, or when focus is in it.
  useEffect(() => {
    if (!membersOpen) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || modalOpen()) return;
      const inPanel = !!document.getElementById('member-panel')?.contains(document.activeElement);
      if (matches(WIDE) && !inPanel) return;
      e.preventDefault();
      setMembersOpen(false);
      if (inPanel) membersButton.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [membersOpen, setMembersOpen]);
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
        hasNewer: r.state.detached,
        me: { id: me.id, username: me.username },
        now,
        dividerSeq: divider,
      }),
    // `now` only fills in missing times; it need not trigger a rebuild.
    [rowBuilder, r.state.messages, r.state.files, r.pending, r.state.hasMore, r.state.detached, me.id, me.username, divider],
  );

  // The message the room was opened at: scrolled to, focused and marked a
  // moment, once the list holds it.
  const target = r.state.target;
  const { epoch } = r.state;
  useEffect(() => {
    if (access !== 'ok' || target === null) return;
    const frame = requestAnimationFrame(() => {
      jump.current(target, true, TARGET_FLASH_MS);
      dispatch({ type: 'target_shown' });
    });
    return () => cancelAnimationFrame(frame);
  }, [access, target, epoch, dispatch]);
  const typing = typingNames(r.state, me.id, now);
  const members = r.state.members;
  const online = members.filter((m) => m.online);
  // Rebuilt only when someone's profile or presence changes: rows compare their profile by identity.
  const profiles = useMemo(() => {
    const map = new Map(members.map((m) => [m.id, m]));
    map.set(me.id, { id: me.id, username: me.username, display_name: me.display_name, avatar_url: me.avatar_url, online: true });
    return map;
  }, [members, me.id, me.username, me.display_name, me.avatar_url]);
  const cardPerson: CardPerson | null = !card
    ? null
    : card.id === me.id
      ? { id: me.id, username: me.username, display_name: me.display_name, avatar_url: me.avatar_url, online: true, bio: me.bio }
      : (profiles.get(card.id) ?? { id: card.id, username: card.username });
  const seen = useMemo(() => seenBy(members, r.state.messages[r.state.messages.length - 1], me.id), [members, r.state.messages, me.id]);

  const rSend = r.send;
  const { attached, clearAttached, jumpToNewest } = r;
  const detached = r.state.detached;
  const send = useCallback(
    (text: string) => {
      const files = attached.length ? attached : undefined;
      rSend(text, { reply_to: replyTo?.id, quote: replyTo ? quoteOf(replyTo) : undefined, file_ids: files?.map((f) => f.id), files });
      setReplyTo(null);
      if (files) clearAttached();
      // What is sent goes at the live end: reading older messages, the list goes there.
      if (detached) void jumpToNewest();
      else scrollToEnd.current();
    },
    [rSend, replyTo, attached, clearAttached, detached, jumpToNewest],
  );

  // What a message row can do. One object for the life of the room (rows
  // are memoized); what it needs of the moment is read from `now`.
  const now$ = useRef({ room, messages: r.state.messages });
  now$.current = { room, messages: r.state.messages };
  const composerFocus = () => document.getElementById('composer-text')?.focus();
  const [actions] = useState<MessageActions>(() => {
    const a: MessageActions = {
      reply(m) {
        setReplyTo(m);
        composerFocus();
      },
      edit(m) {
        setEditing({ id: m.id, text: m.content, error: null, busy: false });
        requestAnimationFrame(() => jump.current(m.id, false));
      },
      askDelete: setDeleting,
      react(m, emoji, on) {
        const path = `/rooms/${m.room_id}/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`;
        (on ? api.put(path) : api.del(path)).catch((e) => dispatch({ type: 'error', text: errorText(e) }));
      },
      pickReaction: setReactingTo,
      versions: setVersionsOf,
      jump: (id) => jump.current(id),
      async saveEdit(m, text) {
        if (text === m.content) return a.cancelEdit();
        setEditing((e) => (e && e.id === m.id ? { ...e, busy: true, error: null } : e));
        try {
          const got = await api.patch<Message | undefined>(`/rooms/${m.room_id}/messages/${m.id}`, { content: text });
          dispatch({
            type: 'local_change',
            change: {
              type: 'message_edited',
              room_id: m.room_id,
              seq: 0,
              message_id: m.id,
              user_id: m.user_id,
              content: got?.content ?? text,
              mentions: got?.mentions ?? null,
              edited_at: got?.edited_at ?? new Date().toISOString(),
            },
          });
          a.cancelEdit();
        } catch (e) {
          setEditing((x) => (x && x.id === m.id ? { ...x, text, busy: false, error: errorText(e) } : x));
        }
      },
      cancelEdit() {
        setEditing(null);
        composerFocus();
      },
      canEdit: (m) => canEdit(m, me.id, now$.current.room?.edit_window, Date.now()),
      canDelete: (m) => canDelete(m, me.id, now$.current.room?.owner_id, me.is_admin === true),
      refreshMessage: r.refreshMessage,
    };
    return a;
  });
  const editLast = useCallback(() => {
    const m = lastOwn(r.state.messages, me.id);
    if (!m || !actions.canEdit(m)) return false;
    actions.edit(m);
    return true;
  }, [r.state.messages, me.id, actions]);
  const schedule = useCallback(
    async (text: string, at: Date) => {
      await scheduled.schedule(text, at, replyTo?.id);
      setReplyTo(null);
    },
    [scheduled, replyTo],
  );

  const { onOpenDirect } = props;
  const openDirect = useCallback(
    (userId: number) => {
      onOpenDirect(userId).catch((e) => dispatch({ type: 'error', text: errorText(e) }));
    },
    [onOpenDirect, dispatch],
  );

  async function deleteMessage(m: Message) {
    // The author's or the owner's own route; an administrator's otherwise.
    await api.del(deletePath(m, me.id, room?.owner_id, me.is_admin === true) ?? `/rooms/${m.room_id}/messages/${m.id}`);
    dispatch({ type: 'local_change', change: { type: 'message_deleted', room_id: m.room_id, seq: 0, message_id: m.id, user_id: me.id } });
    if (replyTo?.id === m.id) setReplyTo(null);
    setDeleting(null);
  }
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
            <button onClick={r.retry}>Try again</button>
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
    <RoomContexts refreshLinks={r.refreshLinks} openCard={openCard} actions={actions}>
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
                  <Icon name={direct ? 'at' : room?.is_private ? 'lock' : 'hash'} size={17} />
                </span>{' '}
                {direct && <span className="sr-only">Direct messages with </span>}
                <bdi>{room?.name ?? `Room ${roomId}`}</bdi>
              </h1>
              {room?.description && (
                <p className="room-desc" dir="auto">
                  {room.description}
                </p>
              )}
            </div>
            <ConnectionIndicator status={r.status} attempt={r.attempt} />
            {isOwner && room && !direct && (
              <button className="small" onClick={() => setSettingsOpen(true)} aria-haspopup="dialog">
                <Icon name="settings" size={15} /> <span className="members-label">Room settings</span>
              </button>
            )}
            {room && <MuteButton roomId={roomId} />}
            {room && !direct && (
              <button className="small" onClick={() => setInviteOpen(true)} aria-haspopup="dialog">
                <Icon name="link" size={15} /> <span className="members-label">Invite</span>
              </button>
            )}
            <button
              ref={membersButton}
              className="small members-toggle"
              aria-expanded={membersOpen}
              aria-controls="member-panel"
              onClick={() => setMembersOpen(!membersOpen)}
            >
              <Icon name="users" size={15} /> <span className="members-label">Members</span> <span className="count">{online.length}</span>
              <span className="sr-only"> online</span>
            </button>
          </header>
          <MessageList
            key={`${roomId}:${epoch}`}
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
            ownerId={direct ? undefined : room?.owner_id}
            editing={editing}
            jumpRef={jump}
            direct={direct}
            detached={detached}
            loadingNewer={r.loadingNewer}
            loadNewer={r.loadNewer}
            initialTarget={target}
          />
          <div className="below-list">
            {detached && (
              <div className="jump-bar" role="status">
                <span>
                  You are reading older messages
                  {/* Said when the bar shows, not again with every message that comes. */}
                  <span aria-live="off">{r.state.newer.length > 0 && ` · ${r.state.newer.length >= NEWER_MAX ? `${NEWER_MAX}+` : r.state.newer.length} new since`}</span>
                </span>
                <button className="small" onClick={() => void jumpToNewest()} disabled={r.jumping}>
                  <Icon name="arrowDown" size={15} /> {r.jumping ? 'Loading…' : 'Jump to newest'}
                </button>
              </div>
            )}
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
            members={members}
            meId={me.id}
            replyTo={replyTo ? quoteOf(replyTo) : null}
            onCancelReply={() => setReplyTo(null)}
            attachments={r.attached}
            onDetach={r.detach}
            onEditLast={editLast}
            onSchedule={schedule}
            scheduledCount={scheduled.list.length}
            onShowScheduled={() => {
              setScheduledOpen(true);
              scheduled.refresh().catch(() => {});
            }}
          />
          {reactingTo && (
            <div className="react-picker">
              <EmojiPicker
                onPick={(emoji) => {
                  const m = reactingTo;
                  setReactingTo(null);
                  actions.react(m, emoji, true);
                  composerFocus();
                }}
                onClose={() => {
                  setReactingTo(null);
                  composerFocus();
                }}
                toggle={() => null}
              />
            </div>
          )}
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
          direct={direct}
          onMessage={openDirect}
          onRemoved={() => r.refreshMembers().catch(() => {})}
        />
        {lightbox && <Lightbox file={lightbox} onClose={() => setLightbox(null)} onBroken={r.refreshLinks} />}
        {leaveDialog}
        {inviteOpen && room && <InviteDialog room={room} me={me} onClose={() => setInviteOpen(false)} />}
        {cardPerson && (
          <ProfileCard
            person={cardPerson}
            isMe={cardPerson.id === me.id}
            onClose={() => setCard(null)}
            onMessage={
              cardPerson.id === me.id
                ? undefined
                : async () => {
                    await onOpenDirect(cardPerson.id);
                    setCard(null);
                  }
            }
          />
        )}
        {deleting && (
          <ConfirmDialog title="Delete message" confirmLabel="Delete" danger onCancel={() => setDeleting(null)} onConfirm={() => deleteMessage(deleting)}>
            <p>{deleting.user_id === me.id ? 'Delete your message for everyone?' : `Delete this message by ${deleting.username} for everyone?`} This cannot be undone.</p>
            <blockquote className="scheduled-text" dir="auto">
              {cutQuote(deleting.content)}
            </blockquote>
          </ConfirmDialog>
        )}
        {versionsOf && <VersionsDialog roomId={roomId} message={r.state.messages.find((m) => m.id === versionsOf.id) ?? versionsOf} onClose={() => setVersionsOf(null)} />}
        {scheduledOpen && <ScheduledDialog list={scheduled.list} onClose={() => setScheduledOpen(false)} onSave={scheduled.update} onCancel={scheduled.cancel} />}
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
    </RoomContexts>
  );
}

/** What the room's messages and member list reach without props: fresh file links, profile cards. */
function RoomContexts(props: { refreshLinks: () => void; openCard: (userId: number, username: string) => void; actions: MessageActions; children: ReactNode }) {
  return (
    <BrokenLinkContext.Provider value={props.refreshLinks}>
      <ProfileCardContext.Provider value={props.openCard}>
        <MessageActionsContext.Provider value={props.actions}>{props.children}</MessageActionsContext.Provider>
      </ProfileCardContext.Provider>
    </BrokenLinkContext.Provider>
  );
}

/** What a reply shows of the message it answers, while it is being written and sent. */
function quoteOf(m: Message): Quote {
  return { id: m.id, seq: m.seq, user_id: m.user_id, username: m.username, content: cutQuote(m.content), deleted: !!m.deleted };
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
  const box = useRef<HTMLDivElement>(null);
  useModal(props.onClose, () => close.current, () => box.current);
  return (
    <div ref={box} className="lightbox" role="dialog" aria-modal="true" aria-label={props.file.filename} onClick={props.onClose} tabIndex={-1}>
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

/** Mutes the room's push notifications for this user (a membership setting). */
function MuteButton(props: { roomId: number }) {
  const [muted, setMuted] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    setMuted(null);
    api
      .get<{ muted: boolean }>(`/rooms/${props.roomId}/mute`)
      .then((m) => live && setMuted(m.muted))
      .catch(() => live && setMuted(null));
    return () => {
      live = false;
    };
  }, [props.roomId]);
  if (muted === null) return null;
  async function toggle() {
    const next = !muted;
    setBusy(true);
    setMuted(next);
    try {
      if (next) await api.put(`/rooms/${props.roomId}/mute`);
      else await api.del(`/rooms/${props.roomId}/mute`);
    } catch {
      setMuted(!next);
    } finally {
      setBusy(false);
    }
  }
  return (
    <button className="small" aria-pressed={muted} disabled={busy} onClick={() => void toggle()} title="Push notifications from this room">
      <span className="members-label">{muted ? 'Unmute' : 'Mute'}</span>
    </button>
  );
}
