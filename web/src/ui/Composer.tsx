import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { FileItem, Member, Quote } from '../api/types';
import { validateContent } from '../state/pending';
import { Avatar } from './Avatar';
import { EmojiPicker } from './EmojiPicker';
import { fileSize } from './format';
import { Icon } from './Icon';
import { insertMention, matchMembers, mentionQuery } from './mentions';
import { SendLater } from './Scheduled';

/** At most this many files go with one message (the server's message.FilesMax). */
export const FILES_MAX = 10;

// The server drops a second typing frame within 2 s, so never send sooner.
export const TYPING_EVERY_MS = 2000;

/** The message box grows with its text up to this many lines, then scrolls. */
export const COMPOSER_MAX_LINES = 8;

/**
 * The height of a box that grows with its text: its content's height
 * (scrollHeight, padding included) plus borders, capped at maxLines lines;
 * scroll: the text is taller than that.
 */
export function fitHeight(scrollHeight: number, lineHeight: number, padding: number, border: number, maxLines = COMPOSER_MAX_LINES): { height: number; scroll: boolean } {
  const max = lineHeight * maxLines + padding + border;
  const want = scrollHeight + border;
  return { height: Math.min(want, max), scroll: want > max + 0.5 };
}

/**
 * The message box: Enter sends, Shift+Enter adds a line; typing is announced
 * at most every 2 s. It starts from the room's draft and reports every change
 * of the text (onDraft), so the draft outlives a room switch or a reload.
 * Above it: the message being answered (Escape or × drops it) and the files
 * that go with the next message. "@" offers the room's members; Up in an
 * empty box edits the user's last message; "Send later" schedules the text.
 */
export function Composer(props: {
  onSend: (text: string) => void;
  onTyping: () => boolean;
  onFiles: (files: File[]) => void;
  offline: boolean;
  draft?: string;
  onDraft?: (text: string) => void;
  /** The room's members, offered after "@". */
  members?: readonly Member[];
  meId?: number;
  /** The message the next one answers. */
  replyTo?: Quote | null;
  onCancelReply?: () => void;
  /** Uploaded files that go with the next message. */
  attachments?: readonly FileItem[];
  onDetach?: (fileId: number) => void;
  /** Up in an empty box: edit the user's last message (false: there is none). */
  onEditLast?: () => boolean;
  /** Schedules the text (rejects with the reason). */
  onSchedule?: (text: string, at: Date) => Promise<void>;
  scheduledCount?: number;
  onShowScheduled?: () => void;
}) {
  const [text, setText] = useState(props.draft ?? '');
  const [error, setError] = useState<string | null>(null);
  const lastTyping = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const [picking, setPicking] = useState(false);
  const emojiButton = useRef<HTMLButtonElement>(null);
  // Where the emoji goes: the selection when the picker opened, then the caret after what was inserted.
  const caret = useRef<{ start: number; end: number } | null>(null);
  const placeCaret = useRef<number | null>(null);
  // The "@name" being typed, and which of the members offered is chosen.
  const [mention, setMention] = useState<{ start: number; query: string; caret: number } | null>(null);
  const [active, setActive] = useState(0);
  const choices = useMemo(() => (mention ? matchMembers(props.members ?? [], mention.query, props.meId ?? -1) : []), [mention, props.members, props.meId]);
  const choosing = mention !== null && choices.length > 0;
  const chosen = choosing ? choices[Math.min(active, choices.length - 1)] : undefined;
  const [later, setLater] = useState(false);
  const laterButton = useRef<HTMLButtonElement>(null);
  const attachments = props.attachments ?? [];

  const fit = useCallback(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    const cs = getComputedStyle(el);
    const px = (v: string) => parseFloat(v) || 0;
    const { height, scroll } = fitHeight(
      el.scrollHeight,
      px(cs.lineHeight) || px(cs.fontSize) * 1.45,
      px(cs.paddingTop) + px(cs.paddingBottom),
      px(cs.borderTopWidth) + px(cs.borderBottomWidth),
    );
    el.style.height = `${height}px`;
    el.style.overflowY = scroll ? 'auto' : 'hidden';
  }, []);

  useLayoutEffect(() => {
    fit();
    const at = placeCaret.current;
    if (at !== null && box.current) {
      placeCaret.current = null;
      box.current.focus();
      box.current.setSelectionRange(at, at);
    }
  }, [text, fit]);

  // A narrower window wraps the text onto more lines.
  useEffect(() => {
    window.addEventListener('resize', fit);
    return () => window.removeEventListener('resize', fit);
  }, [fit]);

  function openPicker() {
    const el = box.current;
    caret.current = el ? { start: el.selectionStart, end: el.selectionEnd } : null;
    setPicking(true);
  }

  function closePicker() {
    setPicking(false);
    box.current?.focus();
  }

  function insertEmoji(emoji: string) {
    const at = caret.current ?? { start: text.length, end: text.length };
    const next = text.slice(0, at.start) + emoji + text.slice(at.end);
    setText(next);
    props.onDraft?.(next);
    placeCaret.current = at.start + emoji.length;
    caret.current = null;
    setPicking(false);
  }

  /** Why the text cannot go now; null when it can. */
  function problemWith(t: string): string | null {
    if (!t.trim() && attachments.length) return 'Write a message to go with the files.';
    if (attachments.length > FILES_MAX) return `At most ${FILES_MAX} files go with one message: remove some.`;
    return validateContent(t);
  }

  function clear() {
    setText('');
    props.onDraft?.('');
    setError(null);
    setMention(null);
  }

  function send() {
    const problem = problemWith(text);
    if (problem) {
      if (text.trim() || attachments.length) setError(problem);
      return;
    }
    props.onSend(text.trim());
    clear();
    box.current?.focus();
  }

  async function schedule(at: Date) {
    const problem = problemWith(text);
    if (problem) throw new Error(problem);
    if (attachments.length) throw new Error('Files cannot be sent later: send them now, or remove them.');
    await props.onSchedule?.(text.trim(), at);
    clear();
    setLater(false);
    box.current?.focus();
  }

  /** Looks for an "@name" being typed at the caret. */
  function findMention(v: string, at: number | null) {
    const q = at === null ? null : mentionQuery(v, at);
    if (!q || at === null) {
      setMention(null);
      return;
    }
    if (!mention || mention.start !== q.start || mention.query !== q.query) setActive(0);
    setMention({ ...q, caret: at });
  }

  function pick(m: Member) {
    if (!mention) return;
    const next = insertMention(text, mention.start, mention.caret, m.username);
    setText(next.text);
    props.onDraft?.(next.text);
    placeCaret.current = next.caret;
    setMention(null);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (choosing && chosen) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setActive((a) => (Math.min(a, choices.length - 1) + step + choices.length) % choices.length);
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.nativeEvent.isComposing) {
        e.preventDefault();
        pick(chosen);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setMention(null);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === 'ArrowUp' && !text && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && props.onEditLast?.()) {
      e.preventDefault();
    } else if (e.key === 'Escape' && props.replyTo && props.onCancelReply) {
      e.preventDefault();
      props.onCancelReply();
    }
  }

  function onChange(v: string, at: number | null) {
    setText(v);
    props.onDraft?.(v);
    findMention(v, at);
    if (error) setError(null);
    const now = Date.now();
    if (v.trim() && now - lastTyping.current >= TYPING_EVERY_MS) {
      if (props.onTyping()) lastTyping.current = now;
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {(props.replyTo || attachments.length > 0 || !!props.scheduledCount) && (
        <div className="composer-extras">
          {props.replyTo && (
            <div className="reply-bar" data-testid="reply-bar">
              <Icon name="reply" size={14} />
              <span className="reply-bar-text">
                Replying to <bdi className="quote-author">{props.replyTo.username}</bdi>:{' '}
                <span className="quote-text" dir="auto">
                  {props.replyTo.content}
                </span>
              </span>
              <button type="button" className="icon-button" aria-label="Cancel reply" title="Cancel reply (Esc)" onClick={props.onCancelReply}>
                <Icon name="close" size={14} />
              </button>
            </div>
          )}
          {attachments.length > 0 && (
            <ul className="attachment-chips" aria-label="Files for the next message">
              {attachments.map((f) => (
                <li key={f.id} className="attachment-chip">
                  <Icon name="file" size={14} />
                  <span dir="auto">{f.filename}</span>
                  <span className="muted small-text">{fileSize(f.size)}</span>
                  <button type="button" className="icon-button" aria-label={`Remove ${f.filename}`} onClick={() => props.onDetach?.(f.id)}>
                    <Icon name="close" size={12} />
                  </button>
                </li>
              ))}
            </ul>
          )}
          {!!props.scheduledCount && (
            <button type="button" className="small ghost scheduled-button" aria-haspopup="dialog" onClick={props.onShowScheduled}>
              <Icon name="clock" size={14} /> Scheduled ({props.scheduledCount})
            </button>
          )}
        </div>
      )}
      {choosing && (
        <ul id="mention-list" role="listbox" aria-label="Members to mention" className="mention-popup">
          {choices.map((m) => (
            <li
              key={m.id}
              id={`mention-${m.id}`}
              role="option"
              aria-selected={m === chosen}
              className={m === chosen ? 'active' : undefined}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(m)}
            >
              <Avatar name={m.display_name || m.username} id={m.id} url={m.avatar_url} size={20} />
              <bdi>{m.display_name || m.username}</bdi>
              <span className="muted small-text">@{m.username}</span>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="icon-button attach" aria-label="Attach file" title="Attach file" onClick={() => fileInput.current?.click()}>
        <Icon name="paperclip" size={20} />
      </button>
      <input
        ref={fileInput}
        type="file"
        multiple
        hidden
        aria-label="File to share"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          if (files.length) props.onFiles(files);
        }}
      />
      <label htmlFor="composer-text" className="sr-only">
        Message
      </label>
      <textarea
        id="composer-text"
        dir="auto"
        ref={box}
        rows={1}
        value={text}
        placeholder={props.offline ? 'Offline — messages will be sent when you reconnect' : 'Write a message'}
        onChange={(e) => onChange(e.target.value, e.target.selectionStart === e.target.selectionEnd ? e.target.selectionStart : null)}
        onKeyDown={onKeyDown}
        onSelect={(e) => {
          const el = e.currentTarget;
          if (mention && el.selectionStart !== mention.caret) findMention(el.value, el.selectionStart === el.selectionEnd ? el.selectionStart : null);
        }}
        onBlur={() => setMention(null)}
        aria-autocomplete="list"
        aria-controls={choosing ? 'mention-list' : undefined}
        aria-activedescendant={chosen ? `mention-${chosen.id}` : undefined}
        onPaste={(e) => {
          const files = Array.from(e.clipboardData.files);
          if (files.length) {
            e.preventDefault();
            props.onFiles(files);
          }
        }}
        aria-invalid={!!error}
        aria-describedby={error ? 'composer-error' : undefined}
      />
      <button
        ref={emojiButton}
        type="button"
        className="icon-button emoji-button"
        aria-label="Emoji"
        title="Emoji"
        aria-haspopup="dialog"
        aria-expanded={picking}
        onClick={() => (picking ? closePicker() : openPicker())}
      >
        <Icon name="smile" size={20} />
      </button>
      {picking && <EmojiPicker onPick={insertEmoji} onClose={closePicker} toggle={() => emojiButton.current} />}
      {props.onSchedule && (
        <button
          ref={laterButton}
          type="button"
          className="icon-button send-later-button"
          aria-label="Send later"
          title="Send later"
          aria-haspopup="dialog"
          aria-expanded={later}
          onClick={() => setLater((l) => !l)}
        >
          <Icon name="clock" size={20} />
        </button>
      )}
      {later && <SendLater side="up" toggle={() => laterButton.current} onClose={() => setLater(false)} onPick={schedule} />}
      <button type="submit" className="primary send">
        Send
      </button>
      {error && (
        <p id="composer-error" className="error small-text composer-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
