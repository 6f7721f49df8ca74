// The timeline: a virtualized list (react-virtuoso) of the rows that
// state/timeline builds. Only what is on screen is in the DOM, so a new
// message costs the same with 50 or 5,000 loaded. It stays at the bottom
// while the reader is there, keeps the reading position when older history
// is added above, and tells screen readers about new messages through a
// live region of its own (a virtual list adds and drops rows while
// scrolling, which a role=log would read out).
//
// Following is decided here, not by Virtuoso's "at bottom": in a burst of
// messages the list is briefly not at the bottom between one append and the
// scroll that follows it, and a list that stopped following then would stay
// behind. The list stops following only when the reader scrolls away
// (wheel, touch, keys, scrollbar) and follows again once they are back near
// the bottom. Scrolls nobody asked for (Virtuoso correcting its estimates)
// change nothing.
import { memo, useCallback, useEffect, useMemo, useRef, useState, type MutableRefObject } from 'react';
import { Virtuoso, type Components, type VirtuosoHandle } from 'react-virtuoso';
import type { FileItem, Member, User } from '../api/types';
import type { Status } from '../net/stream';
import { arrivals, lastSeq, prependedCount, type Row } from '../state/timeline';
import { Avatar } from './Avatar';
import { dayLabel } from './format';
import type { EditState } from './messageActions';
import { mentionedNames } from './mentions';
import { MessageRow } from './MessageRow';

export { BrokenLinkContext, FileView } from './MessageRow';

/** Within this distance of the bottom the list follows new messages. */
const NEAR_BOTTOM_PX = 120;
/** A scroll this soon after the reader's wheel, touch, key or pointer is theirs. */
const USER_SCROLL_MS = 1000;
/** What a row is taken to measure before it is drawn (one line of text). */
const ROW_PX = 26;
/** Virtuoso's index of the first row: lowered as history is added above. */
const FIRST_INDEX = 1_000_000;
/** New messages kept in the live region (older ones have been read out). */
const ANNOUNCED = 5;

interface ListContext {
  profiles: Map<number, Member>;
  detached: boolean;
  loadingNewer: boolean;
  newer: () => void;
  meId: number;
  online: boolean;
  onOpenImage: (f: FileItem) => void;
  onDiscard: (clientId: string) => boolean;
  hasMore: boolean;
  historyLoaded: boolean;
  loadingOlder: boolean;
  roomName: string;
  older: () => void;
  seenBy: Member[];
  ownerId: number | undefined;
  editing: EditState | null;
  direct: boolean;
}

export function MessageList(props: {
  timeline: Row[];
  profiles: Map<number, Member>;
  me: User;
  hasMore: boolean;
  historyLoaded: boolean;
  loadingOlder: boolean;
  loadOlder: () => Promise<boolean>;
  roomName: string;
  status: Status;
  onOpenImage: (f: FileItem) => void;
  onDiscard: (clientId: string) => boolean;
  scrollToEndRef: MutableRefObject<() => void>;
  /** Members who have read up to the latest message. */
  seenBy: Member[];
  /** The room's owner: they may delete anyone's message. */
  ownerId: number | undefined;
  /** The message being edited in place, if any. */
  editing: EditState | null;
  /** A direct conversation (named by its people, not a room). */
  direct?: boolean;
  /** Set here: scrolls to a loaded message and (unless focus is false) focuses and marks it for flashMs; false when it is not loaded. */
  jumpRef: MutableRefObject<(messageId: number, focus?: boolean, flashMs?: number) => boolean>;
  /**
   * The list does not reach the newest message (the room was opened at an
   * older one): its end pages forward instead of showing who has seen it,
   * and rows added there are pages, not arrivals to follow or read out.
   */
  detached?: boolean;
  loadingNewer?: boolean;
  loadNewer?: () => Promise<boolean>;
  /** The message to open the list at (centred) instead of the end. */
  initialTarget?: number | null;
}) {
  // The history edge ("Load older messages", "This is the beginning") is the
  // first row, not a header: a short list sits at the bottom with the edge
  // right above its first message.
  const rows = useMemo<ListRow[]>(() => [EDGE, ...props.timeline], [props.timeline]);
  const handle = useRef<VirtuosoHandle>(null);
  const [scroller, setScroller] = useState<HTMLElement | null>(null);
  const stuck = useRef(true);
  const busy = useRef(false);

  // Rows added above shift the rows already shown: Virtuoso keeps the view
  // steady when its first index moves down by as many. Rows added below a
  // detached list are a page forward (paged), which is not followed either.
  const detached = !!props.detached;
  const shift = useRef<{ rows: ListRow[]; first: number; prepended: boolean; detached: boolean; paged: boolean }>({
    rows,
    first: FIRST_INDEX,
    prepended: false,
    detached,
    paged: false,
  });
  const firstItemIndex = useMemo(() => {
    const s = shift.current;
    if (s.rows !== rows) {
      const added = prependedCount(s.rows, rows);
      s.first -= added;
      s.prepended = added > 0;
      s.paged = s.detached;
      s.rows = rows;
    }
    s.detached = detached;
    return s.first;
  }, [rows, detached]);
  // Opened at a message: the list starts there, not at its end.
  const [initialIndex] = useState(() => {
    const i = props.initialTarget == null ? -1 : rows.findIndex((r) => r.kind === 'entry' && r.entry.kind === 'message' && r.entry.message.id === props.initialTarget);
    return i < 0 ? ({ index: 'LAST', align: 'end' } as const) : { index: i, align: 'center' as const };
  });

  props.scrollToEndRef.current = () => {
    stuck.current = true;
    handle.current?.scrollToIndex({ index: 'LAST', align: 'end' });
  };

  props.jumpRef.current = (messageId, focus = true, flashMs) => {
    const i = rows.findIndex((r) => r.kind === 'entry' && r.entry.kind === 'message' && r.entry.message.id === messageId);
    if (i < 0) return false;
    stuck.current = !detached && i === rows.length - 1;
    handle.current?.scrollToIndex({ index: i, align: 'center' });
    if (focus) focusMessage(messageId, flashMs);
    return true;
  };

  useEffect(() => {
    const el = scroller;
    if (!el) return;
    let intent = -Infinity;
    const moved = () => (intent = performance.now());
    const onWheel = (e: WheelEvent) => e.deltaY < 0 && moved();
    const onScroll = () => {
      if (el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX) stuck.current = true;
      else if (performance.now() - intent < USER_SCROLL_MS) stuck.current = false;
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    el.addEventListener('wheel', onWheel, { passive: true });
    el.addEventListener('touchmove', moved, { passive: true });
    el.addEventListener('pointerdown', moved);
    el.addEventListener('keydown', moved);
    return () => {
      el.removeEventListener('scroll', onScroll);
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener('touchmove', moved);
      el.removeEventListener('pointerdown', moved);
      el.removeEventListener('keydown', moved);
    };
  }, [scroller]);

  const { loadOlder, hasMore, historyLoaded, loadingOlder } = props;
  const older = useCallback(async () => {
    if (busy.current || loadingOlder || !hasMore || !historyLoaded) return;
    busy.current = true;
    try {
      await loadOlder();
    } finally {
      busy.current = false;
    }
  }, [loadOlder, hasMore, historyLoaded, loadingOlder]);

  const { loadNewer, loadingNewer } = props;
  const newerBusy = useRef(false);
  const newer = useCallback(async () => {
    if (newerBusy.current || loadingNewer || !detached || !loadNewer) return;
    newerBusy.current = true;
    try {
      await loadNewer();
    } finally {
      newerBusy.current = false;
    }
  }, [loadNewer, loadingNewer, detached]);

  // Virtuoso asks on every change of the row count: history added above,
  // and pages added below a detached list, are not output to follow.
  const followOutput = useCallback(() => (stuck.current && !shift.current.prepended && !shift.current.paged && !shift.current.detached ? ('auto' as const) : false), []);
  const startReached = useCallback(() => void older(), [older]);
  const endReached = useCallback(() => void newer(), [newer]);
  const scrollerRef = useCallback((el: HTMLElement | Window | null) => setScroller(el instanceof HTMLElement ? el : null), []);

  const context = useMemo<ListContext>(
    () => ({
      profiles: props.profiles,
      detached,
      loadingNewer: !!loadingNewer,
      newer: () => void newer(),
      meId: props.me.id,
      online: props.status === 'open',
      onOpenImage: props.onOpenImage,
      onDiscard: props.onDiscard,
      hasMore,
      historyLoaded,
      loadingOlder,
      roomName: props.roomName,
      older: () => void older(),
      seenBy: props.seenBy,
      ownerId: props.ownerId,
      editing: props.editing,
      direct: !!props.direct,
    }),
    [
      props.direct,
      props.profiles,
      detached,
      loadingNewer,
      newer,
      props.me.id,
      props.status,
      props.onOpenImage,
      props.onDiscard,
      hasMore,
      historyLoaded,
      loadingOlder,
      props.roomName,
      older,
      props.seenBy,
      props.ownerId,
      props.editing,
    ],
  );

  return (
    <div className="timeline">
      <Virtuoso<ListRow, ListContext>
        ref={handle}
        scrollerRef={scrollerRef}
        className="messages"
        role="region"
        aria-label="Messages"
        tabIndex={0}
        data={rows}
        context={context}
        components={components}
        computeItemKey={rowKey}
        itemContent={renderRow}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={initialIndex}
        defaultItemHeight={ROW_PX}
        alignToBottom
        followOutput={followOutput}
        // The first row came into range (with increaseViewportBy, a little
        // before it shows): fetch the page above. A list shorter than the
        // view keeps its first row in range, and fetches until it is not.
        startReached={startReached}
        // Likewise the last row of a detached list fetches the page below.
        endReached={endReached}
        increaseViewportBy={{ top: 600, bottom: 300 }}
      />
      <Announcer rows={props.timeline} me={props.me.id} profiles={props.profiles} quiet={detached || shift.current.paged} />
    </div>
  );
}

/** The first row of the list: see HistoryEdge. */
const EDGE = { kind: 'edge', key: 'edge' } as const;
type ListRow = Row | typeof EDGE;

const rowKey = (_: number, row: ListRow) => row.key;

function renderRow(_: number, row: ListRow, ctx: ListContext) {
  switch (row.kind) {
    case 'edge':
      return <HistoryEdge context={ctx} />;
    case 'day':
      return <DaySeparatorRow day={row.day} />;
    case 'new':
      return (
        <div className="new-sep" role="separator" aria-label="New messages">
          <span>New messages</span>
        </div>
      );
    case 'entry': {
      const m = row.entry.kind === 'message' ? row.entry.message : null;
      return (
        <MessageRow
          row={row}
          profile={ctx.profiles.get(row.userId)}
          mine={row.userId === ctx.meId}
          online={row.entry.kind === 'pending' ? ctx.online : true}
          onOpenImage={ctx.onOpenImage}
          onDiscard={ctx.onDiscard}
          meId={ctx.meId}
          isOwner={ctx.ownerId === ctx.meId}
          mentionNames={m?.mentions ? mentionedNames(m.mentions, ctx.profiles).join(' ') : ''}
          editing={m && ctx.editing?.id === m.id ? ctx.editing : null}
        />
      );
    }
  }
}

/**
 * Focuses a message's row once it is drawn (a jump scrolls first) and can
 * take focus (a list opening at a row is hidden while it first positions
 * itself), and marks it for a moment so the eye finds it.
 */
function focusMessage(messageId: number, flashMs = 1600, tries = 60): void {
  const el = document.querySelector<HTMLElement>(`.messages .msg[data-id="${messageId}"]`)?.closest<HTMLElement>('.msg-row');
  el?.focus({ preventScroll: true });
  if (!el || document.activeElement !== el) {
    if (tries > 0) {
      requestAnimationFrame(() => focusMessage(messageId, flashMs, tries - 1));
      return;
    }
    if (!el) return;
  }
  el.classList.add('highlighted');
  setTimeout(() => el.classList.remove('highlighted'), flashMs);
}

const DaySeparatorRow = memo(function DaySeparatorRow(props: { day: string }) {
  return (
    <div className="day-sep" role="separator">
      <span>{dayLabel(props.day)}</span>
    </div>
  );
});

function HistoryEdge({ context: c }: { context: ListContext }) {
  return (
    <div className="history-edge">
      {!c.historyLoaded ? null : c.hasMore ? (
        <button className="small ghost" onClick={c.older} disabled={c.loadingOlder}>
          {c.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
        </button>
      ) : (
        <p className="muted small-text">
          {c.direct ? `This is the beginning of your conversation with ${c.roomName}.` : `This is the beginning of ${c.roomName ? `#${c.roomName}` : 'the room'}.`}
        </p>
      )}
    </div>
  );
}

function Footer({ context: c }: { context: ListContext }) {
  if (c.detached) {
    return (
      <div className="history-edge newer-edge">
        <button className="small ghost" onClick={c.newer} disabled={c.loadingNewer}>
          {c.loadingNewer ? 'Loading newer messages…' : 'Load newer messages'}
        </button>
      </div>
    );
  }
  return <SeenBy members={c.seenBy} />;
}

// One object for the life of the app: Virtuoso remounts what changes here.
const components: Components<ListRow, ListContext> = { Footer };

/**
 * New messages from others, read out as they arrive. History loaded above
 * and the messages the room opened with are not announced.
 */
function Announcer(props: { rows: Row[]; me: number; profiles: Map<number, Member>; quiet: boolean }) {
  const seen = useRef(lastSeq(props.rows));
  const [said, setSaid] = useState<{ key: string; text: string }[]>([]);
  const { rows, me, profiles, quiet } = props;
  useEffect(() => {
    // Pages loaded below a detached list are history, not arrivals.
    const fresh = quiet ? [] : arrivals(rows, seen.current, me);
    seen.current = Math.max(seen.current, lastSeq(rows));
    if (fresh.length === 0) return;
    const lines = fresh.map((m) => {
      const p = profiles.get(m.user_id);
      return { key: `m${m.id}`, text: `${p?.display_name || p?.username || m.username}: ${m.content}` };
    });
    setSaid((prev) => [...prev, ...lines].slice(-ANNOUNCED));
  }, [rows, me, profiles, quiet]);
  return (
    <div className="sr-only" role="log" aria-live="polite" aria-label="Incoming messages">
      {said.map((s) => (
        <p key={s.key}>{s.text}</p>
      ))}
    </div>
  );
}

const SEEN_NAMES = 3;

/**
 * "Seen by …" under the latest message. Read pointers move all the time:
 * the line is left out of the announcements (aria-live off).
 */
function SeenBy(props: { members: Member[] }) {
  const names = props.members.map((m) => m.display_name || m.username);
  if (names.length === 0) return <div className="list-end" />;
  const shown = names.slice(0, SEEN_NAMES);
  const more = names.length - shown.length;
  return (
    <p className="seen-by" aria-live="off" title={`Seen by ${names.join(', ')}`}>
      <span className="seen-avatars" aria-hidden="true">
        {props.members.slice(0, SEEN_NAMES).map((m) => (
          <Avatar key={m.id} name={m.display_name || m.username} id={m.id} url={m.avatar_url} size={16} />
        ))}
      </span>
      Seen by{' '}
      {shown.map((n, i) => (
        <span key={i}>
          {i > 0 && (i === shown.length - 1 && more === 0 ? ' and ' : ', ')}
          <bdi>{n}</bdi>
        </span>
      ))}
      {more > 0 && ` and ${more} more`}
    </p>
  );
}
