import { createContext, memo, useContext, useEffect, useLayoutEffect, useRef, type MutableRefObject } from 'react';
import type { FileItem, Member, User } from '../api/types';
import type { Status } from '../net/stream';
import type { Entry, TimelineItem } from '../state/timeline';
import { Avatar } from './Avatar';
import { Icon } from './Icon';
import { dayLabel, fileSize, fullTime, isImage, timeOfDay } from './format';
import { MessageBody } from './MessageBody';
import { MessageTime } from './MessageTime';
import { NameButton } from './ProfileCard';

const NEAR_BOTTOM_PX = 120;
const NEAR_TOP_PX = 200;

export function MessageList(props: {
  timeline: TimelineItem[];
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
}) {
  const el = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const busy = useRef(false);

  props.scrollToEndRef.current = () => {
    stick.current = true;
    const e = el.current;
    if (e) e.scrollTop = e.scrollHeight;
  };

  async function older() {
    const e = el.current;
    if (!e || busy.current || props.loadingOlder || !props.hasMore) return;
    busy.current = true;
    const mark = { height: e.scrollHeight, top: e.scrollTop };
    anchor.current = mark;
    try {
      const ok = await props.loadOlder();
      if (!ok && anchor.current === mark) anchor.current = null;
    } finally {
      busy.current = false;
      // An empty page adds nothing to anchor against.
      setTimeout(() => {
        if (anchor.current === mark) anchor.current = null;
      }, 1000);
    }
  }

  // Keep the view steady: stay at the bottom for new messages, keep the
  // reading position when older ones are added above.
  useLayoutEffect(() => {
    const e = el.current;
    if (!e) return;
    const grown = anchor.current !== null && e.scrollHeight !== anchor.current.height;
    if (stick.current) {
      e.scrollTop = e.scrollHeight;
      if (grown) anchor.current = null;
    } else if (grown && anchor.current) {
      e.scrollTop = e.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    }
    // A first page shorter than the view: fetch more so scrolling can start.
    if (props.historyLoaded && props.hasMore && !props.loadingOlder && e.scrollHeight <= e.clientHeight + 10) void older();
  });

  // Thumbnails grow the list after layout: stay pinned to the bottom.
  useEffect(() => {
    const e = el.current;
    if (!e) return;
    const onLoad = () => {
      if (stick.current) e.scrollTop = e.scrollHeight;
    };
    e.addEventListener('load', onLoad, true);
    return () => e.removeEventListener('load', onLoad, true);
  }, []);

  function onScroll() {
    const e = el.current;
    if (!e) return;
    stick.current = e.scrollHeight - e.scrollTop - e.clientHeight < NEAR_BOTTOM_PX;
    if (e.scrollTop < NEAR_TOP_PX) void older();
  }

  return (
    <div className="messages" ref={el} onScroll={onScroll} role="log" aria-label="Messages" tabIndex={0}>
      <div className="history-edge">
        {!props.historyLoaded ? null : props.hasMore ? (
          <button className="small ghost" onClick={older} disabled={props.loadingOlder}>
            {props.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
          </button>
        ) : (
          <p className="muted small-text">This is the beginning of {props.roomName ? `#${props.roomName}` : 'the room'}.</p>
        )}
      </div>
      {props.timeline.map((item) =>
        item.kind === 'day' ? (
          <div key={item.key} className="day-sep" role="separator">
            <span>{dayLabel(item.day)}</span>
          </div>
        ) : item.kind === 'new' ? (
          <div key={item.key} className="new-sep" role="separator" aria-label="New messages">
            <span>New messages</span>
          </div>
        ) : (
          <MessageGroup
            key={item.key}
            userId={item.userId}
            username={item.username}
            entries={item.entries}
            profile={props.profiles.get(item.userId)}
            mine={item.userId === props.me.id}
            online={props.status === 'open'}
            onOpenImage={props.onOpenImage}
            onDiscard={props.onDiscard}
          />
        ),
      )}
      <SeenBy members={props.seenBy} />
    </div>
  );
}

const SEEN_NAMES = 3;

/**
 * "Seen by …" under the latest message. Read pointers move all the time:
 * the line is left out of the log's announcements (aria-live off).
 */
function SeenBy(props: { members: Member[] }) {
  const names = props.members.map((m) => m.display_name || m.username);
  if (names.length === 0) return null;
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

const MessageGroup = memo(function MessageGroup(props: {
  userId: number;
  username: string;
  entries: Entry[];
  profile: Member | undefined;
  mine: boolean;
  online: boolean;
  onOpenImage: (f: FileItem) => void;
  onDiscard: (clientId: string) => boolean;
}) {
  const name = props.profile?.display_name || props.profile?.username || props.username || 'Someone';
  const first = props.entries[0];
  return (
    <article className={`group ${props.mine ? 'mine' : ''}`} aria-label={`${name}, ${timeOfDay(first.time)}`}>
      <Avatar name={name} id={props.userId} url={props.profile?.avatar_url} />
      <div className="group-body">
        <header className="group-head">
          <NameButton userId={props.userId} username={props.profile?.username || props.username}><bdi className="author">{name}</bdi></NameButton>
          {props.profile?.username && name !== props.profile.username && <span className="handle">@{props.profile.username}</span>}
          <time dateTime={new Date(first.time).toISOString()} title={fullTime(first.time)}>
            {timeOfDay(first.time)}
          </time>
        </header>
        {props.entries.map((e) => (
          <EntryView key={e.key} entry={e} online={props.online} onOpenImage={props.onOpenImage} onDiscard={props.onDiscard} />
        ))}
      </div>
    </article>
  );
});

function EntryView(props: { entry: Entry; online: boolean; onOpenImage: (f: FileItem) => void; onDiscard: (clientId: string) => boolean }) {
  const e = props.entry;
  switch (e.kind) {
    case 'message':
      return (
        <div className="msg-row">
          <div className="msg" dir="auto" data-id={e.message.id} data-seq={e.message.seq}>
            <MessageBody text={e.message.content} />
          </div>
          <MessageTime time={e.time} />
        </div>
      );
    case 'pending':
      return (
        <div className="msg pending" dir="auto" data-client-id={e.pending.client_id} aria-busy="true">
          <MessageBody text={e.pending.content} />
          <span className="pending-note">
            {props.online ? ' Sending…' : ' Waiting for connection'}
            {!e.pending.sent && (
              <button className="link-button" onClick={() => props.onDiscard(e.pending.client_id)}>
                Cancel
              </button>
            )}
          </span>
        </div>
      );
    case 'file':
      return <FileView file={e.file} onOpenImage={props.onOpenImage} />;
  }
}

/** Called when a signed link stops working (it expired): the room fetches fresh ones. */
export const BrokenLinkContext = createContext<() => void>(() => {});

export function FileView(props: { file: FileItem; onOpenImage: (f: FileItem) => void }) {
  const f = props.file;
  const onBroken = useContext(BrokenLinkContext);
  const noPreview = f.thumbnail_status === 'failed' || f.thumbnail_status === 'none';
  if (isImage(f.content_type) && !noPreview) {
    return (
      <div className="file file-image" data-file-id={f.id}>
        {f.thumbnail_url ? (
          <button className="thumb" onClick={() => props.onOpenImage(f)} aria-label={`Open image ${f.filename}`}>
            <img src={f.thumbnail_url} alt={f.filename} loading="lazy" onError={onBroken} />
          </button>
        ) : (
          <div className="thumb-placeholder" aria-label={`Preparing preview of ${f.filename}`}>
            <span className="spinner" aria-hidden="true" />
            Preparing preview…
          </div>
        )}
        <a className="file-caption" dir="auto" href={f.file_url} target="_blank" rel="noopener noreferrer">
          {f.filename}
        </a>
        <span className="muted small-text"> {fileSize(f.size)}</span>
      </div>
    );
  }
  return (
    <div className="file file-doc" data-file-id={f.id}>
      <span className="file-icon">
        <Icon name="file" />
      </span>
      <a href={f.file_url} download={f.filename} dir="auto">
        {f.filename}
      </a>
      <span className="muted small-text"> {fileSize(f.size)}</span>
    </div>
  );
}
