// One row of the timeline: a message, a shared file or a pending send. Rows
// are memoized and their props keep their identity while nothing about them
// changes (see state/timeline's RowBuilder), so a new message renders one
// row, not the history. A message changed (edited, deleted, reacted to) is
// a new object: its row alone renders again. What a row can do comes from
// MessageActionsContext, one object for the life of the room.
import { createContext, memo, useContext, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { FileItem, Member, Message, Quote, Reaction } from '../api/types';
import { canDelete } from '../state/changes';
import { validateContent } from '../state/pending';
import { stampOf, type Entry, type EntryRow } from '../state/timeline';
import { Avatar } from './Avatar';
import { fileSize, fullTime, isImage } from './format';
import { Icon } from './Icon';
import { MessageActionsContext, QUICK_REACTIONS, type EditState } from './messageActions';
import { MessageBody } from './MessageBody';
import { MessageTime } from './MessageTime';
import { Menu, sideFor, type Side } from './Popover';
import { NameButton } from './ProfileCard';

export const MessageRow = memo(function MessageRow(props: {
  row: EntryRow;
  profile: Member | undefined;
  mine: boolean;
  /** Connected: a pending send says "Sending…" rather than "Waiting for connection". */
  online: boolean;
  onOpenImage: (f: FileItem) => void;
  onDiscard: (clientId: string) => boolean;
  meId: number;
  /** The user owns the room: they may delete anyone's message. */
  isOwner: boolean;
  /** The usernames of the members the message mentions, space-separated (a string, so the row's props compare cheaply). */
  mentionNames: string;
  /** The inline editor, when this row's message is being edited. */
  editing: EditState | null;
}) {
  const { row, profile } = props;
  const name = profile?.display_name || profile?.username || row.username || 'Someone';
  const stamp = stampOf(row.entry);
  const m = row.entry.kind === 'message' ? row.entry.message : null;
  const mentionsMe = !!m && !m.deleted && !!m.mentions?.includes(props.meId) && m.user_id !== props.meId;
  return (
    <article
      className={`msg-row ${row.head ? 'head' : 'cont'} ${props.mine ? 'mine' : ''} ${mentionsMe ? 'mentions-me' : ''} ${m?.deleted ? 'is-deleted' : ''}`}
      aria-label={`${name}, ${stamp.clock}`}
      tabIndex={-1}
    >
      {row.head ? <Avatar name={name} id={row.userId} url={profile?.avatar_url} /> : <span className="avatar-gap" aria-hidden="true" />}
      <div className="row-body">
        {row.head && (
          <header className="group-head">
            <NameButton userId={row.userId} username={profile?.username || row.username}>
              <bdi className="author">{name}</bdi>
            </NameButton>
            {profile?.username && name !== profile.username && <span className="handle">@{profile.username}</span>}
            <time dateTime={stamp.iso} title={stamp.full}>
              {stamp.clock}
            </time>
          </header>
        )}
        {mentionsMe && <span className="sr-only">Mentions you. </span>}
        {m ? (
          <MessageEntry m={m} time={row.entry.time} meId={props.meId} mentionNames={props.mentionNames} editing={props.editing} onOpenImage={props.onOpenImage} />
        ) : (
          <EntryBody entry={row.entry} online={props.online} onOpenImage={props.onOpenImage} onDiscard={props.onDiscard} />
        )}
      </div>
      {m && !m.deleted && !props.editing && <MessageToolbar m={m} mine={props.mine} isOwner={props.isOwner} meId={props.meId} />}
    </article>
  );
});

const NO_NAMES: string[] = [];

function MessageEntry(props: { m: Message; time: number; meId: number; mentionNames: string; editing: EditState | null; onOpenImage: (f: FileItem) => void }) {
  const { m } = props;
  const actions = useContext(MessageActionsContext);
  return (
    <>
      {m.reply_to && <QuoteLine quote={m.reply_to} onJump={() => actions.jump(m.reply_to!.id)} />}
      {props.editing ? (
        <InlineEditor m={m} editing={props.editing} />
      ) : (
        <div className="msg-line">
          {m.deleted ? (
            <div className="msg deleted" data-id={m.id} data-seq={m.seq}>
              <span className="tombstone">Message deleted</span>
            </div>
          ) : (
            <div className="msg" dir="auto" data-id={m.id} data-seq={m.seq}>
              <MessageBody text={m.content} mentions={props.mentionNames ? props.mentionNames.split(' ') : NO_NAMES} />
            </div>
          )}
          {m.edited_at && !m.deleted && (
            <button type="button" className="edited" title={`Edited ${fullTime(Date.parse(m.edited_at))}`} aria-haspopup="dialog" onClick={() => actions.versions(m)}>
              (edited)
            </button>
          )}
          <MessageTime time={props.time} />
        </div>
      )}
      {m.files && m.files.length > 0 && (
        <BrokenLinkContext.Provider value={() => actions.refreshMessage(m.id)}>
          <div className="msg-files">
            {m.files.map((f) => (
              <FileView key={f.id} file={f} onOpenImage={props.onOpenImage} />
            ))}
          </div>
        </BrokenLinkContext.Provider>
      )}
      {m.reactions && m.reactions.length > 0 && <ReactionBar m={m} reactions={m.reactions} meId={props.meId} />}
    </>
  );
}

/** What a reply answers: the parent's author and text (or that it is gone); a click goes to it. */
function QuoteLine(props: { quote: Quote; onJump?: () => void }) {
  const q = props.quote;
  const inner = (
    <>
      <Icon name="reply" size={13} />
      <span className="sr-only">In reply to </span>
      {q.deleted ? (
        <span className="quote-deleted">Original message deleted</span>
      ) : (
        <span className="quote-body">
          <bdi className="quote-author">{q.username}</bdi>:{' '}
          <span className="quote-text" dir="auto">
            {q.content}
          </span>
        </span>
      )}
    </>
  );
  if (!props.onJump) return <p className="quote">{inner}</p>;
  return (
    <button type="button" className="quote" onClick={props.onJump} title="Show the original message">
      {inner}
    </button>
  );
}

/** The message's text in a box: Enter saves, Shift+Enter adds a line, Escape cancels. */
function InlineEditor(props: { m: Message; editing: EditState }) {
  const actions = useContext(MessageActionsContext);
  const [text, setText] = useState(props.editing.text);
  const [problem, setProblem] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus({ preventScroll: true });
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  function save() {
    const bad = validateContent(text);
    if (bad) {
      setProblem(bad);
      return;
    }
    setProblem(null);
    actions.saveEdit(props.m, text.trim());
  }
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      save();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      actions.cancelEdit();
    }
  }
  const error = problem ?? props.editing.error;
  return (
    <form
      className="inline-edit"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <label className="sr-only" htmlFor={`${id}-text`}>
        Edit message
      </label>
      <textarea
        ref={box}
        id={`${id}-text`}
        dir="auto"
        rows={Math.min(8, Math.max(1, text.split('\n').length))}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={`${id}-hint`}
        aria-invalid={!!error}
      />
      <p className="muted small-text" id={`${id}-hint`}>
        Enter to save, Escape to cancel, Shift+Enter for a new line.
      </p>
      {error && (
        <p className="error small-text" role="alert">
          {error}
        </p>
      )}
      <div className="inline-edit-actions">
        <button type="button" className="small" onClick={actions.cancelEdit}>
          Cancel
        </button>
        <button type="submit" className="small primary" disabled={props.editing.busy}>
          Save
        </button>
      </div>
    </form>
  );
}

/** The emoji on a message: each a toggle (pressed: the user's), with how many. */
function ReactionBar(props: { m: Message; reactions: Reaction[]; meId: number }) {
  const actions = useContext(MessageActionsContext);
  return (
    <div className="reactions" role="group" aria-label="Reactions">
      {props.reactions.map((r) => {
        const mine = r.user_ids.includes(props.meId);
        // Named by what it does and what it shows: "React with 👍 2" (the
        // name holds the visible text, as speech input needs).
        return (
          <button
            key={r.emoji}
            type="button"
            className={`reaction ${mine ? 'mine' : ''}`}
            aria-pressed={mine}
            title={`${r.count} ${r.count === 1 ? 'reaction' : 'reactions'}${mine ? ', yours among them' : ''}`}
            onClick={() => actions.react(props.m, r.emoji, !mine)}
          >
            <span className="sr-only">React with </span>
            <span className="reaction-emoji">{r.emoji}</span> <span className="reaction-count">{r.count}</span>
          </button>
        );
      })}
    </div>
  );
}

/** React, reply and (for the author or the room's owner) edit and delete; shown on hover or focus. */
function MessageToolbar(props: { m: Message; mine: boolean; isOwner: boolean; meId: number }) {
  const { m } = props;
  const actions = useContext(MessageActionsContext);
  const [open, setOpen] = useState<{ what: 'react' | 'more'; side: Side } | null>(null);
  const reactButton = useRef<HTMLButtonElement>(null);
  const moreButton = useRef<HTMLButtonElement>(null);
  // Edit is the author's (asked again when the menu opens: the edit window closes); delete is also the
  // owner's and an administrator's.
  const hasMore = canDelete(m, props.meId, props.isOwner ? props.meId : undefined) || actions.canDelete(m);
  const close = () => setOpen(null);
  const editable = open?.what === 'more' && actions.canEdit(m);
  return (
    <div className={`msg-actions ${open ? 'open' : ''}`} role="group" aria-label="Message actions">
      <button
        ref={reactButton}
        type="button"
        className="icon-button"
        aria-label="Add reaction"
        title="Add reaction"
        aria-haspopup="menu"
        aria-expanded={open?.what === 'react'}
        onClick={() => setOpen(open?.what === 'react' ? null : { what: 'react', side: sideFor(reactButton.current, 120) })}
      >
        <Icon name="smile" size={16} />
      </button>
      <button type="button" className="icon-button" aria-label="Reply" title="Reply" onClick={() => actions.reply(m)}>
        <Icon name="reply" size={16} />
      </button>
      {hasMore && (
        <button
          ref={moreButton}
          type="button"
          className="icon-button"
          aria-label="More actions"
          title="More actions"
          aria-haspopup="menu"
          aria-expanded={open?.what === 'more'}
          onClick={() => setOpen(open?.what === 'more' ? null : { what: 'more', side: sideFor(moreButton.current, 100) })}
        >
          <Icon name="more" size={16} />
        </button>
      )}
      {open?.what === 'react' && (
        <Menu label="Add reaction" side={open.side} className="react-menu" toggle={() => reactButton.current} onClose={close}>
          {QUICK_REACTIONS.map((e) => (
            <button
              key={e}
              type="button"
              role="menuitem"
              className="react-choice"
              aria-label={`React with ${e}`}
              onClick={() => {
                close();
                actions.react(m, e, !m.reactions?.some((r) => r.emoji === e && r.user_ids.includes(props.meId)));
              }}
            >
              {e}
            </button>
          ))}
          <button
            type="button"
            role="menuitem"
            className="react-choice react-more"
            onClick={() => {
              close();
              actions.pickReaction(m);
            }}
          >
            More…
          </button>
        </Menu>
      )}
      {open?.what === 'more' && (
        <Menu label="More actions" side={open.side} className="more-menu" toggle={() => moreButton.current} onClose={close}>
          {editable && (
            <button
              type="button"
              role="menuitem"
              onClick={() => {
                close();
                actions.edit(m);
              }}
            >
              Edit
            </button>
          )}
          <button
            type="button"
            role="menuitem"
            className="danger-text"
            onClick={() => {
              close();
              actions.askDelete(m);
            }}
          >
            Delete
          </button>
        </Menu>
      )}
    </div>
  );
}

function EntryBody(props: { entry: Entry; online: boolean; onOpenImage: (f: FileItem) => void; onDiscard: (clientId: string) => boolean }) {
  const e = props.entry;
  switch (e.kind) {
    case 'message':
      return null; // see MessageEntry
    case 'pending':
      return (
        <>
          {e.pending.quote && <QuoteLine quote={e.pending.quote} />}
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
          {e.pending.files && e.pending.files.length > 0 && (
            <ul className="attachment-chips pending-files" aria-label="Attached files">
              {e.pending.files.map((f) => (
                <li key={f.id} className="attachment-chip">
                  <Icon name="file" size={14} />
                  <span dir="auto">{f.filename}</span>
                </li>
              ))}
            </ul>
          )}
        </>
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
