import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { validateContent } from '../state/pending';
import { EmojiPicker } from './EmojiPicker';
import { Icon } from './Icon';

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
 */
export function Composer(props: {
  onSend: (text: string) => void;
  onTyping: () => boolean;
  onFiles: (files: File[]) => void;
  offline: boolean;
  draft?: string;
  onDraft?: (text: string) => void;
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

  function send() {
    const problem = validateContent(text);
    if (problem) {
      if (text.trim()) setError(problem);
      return;
    }
    props.onSend(text.trim());
    setText('');
    props.onDraft?.('');
    setError(null);
    box.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  }

  function onChange(v: string) {
    setText(v);
    props.onDraft?.(v);
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
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
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
