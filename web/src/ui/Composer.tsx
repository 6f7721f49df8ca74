import { useRef, useState, type KeyboardEvent } from 'react';
import { validateContent } from '../state/pending';
import { Icon } from './Icon';

// The server drops a second typing frame within 2 s, so never send sooner.
export const TYPING_EVERY_MS = 2000;

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

  const rows = Math.min(8, Math.max(1, text.split('\n').length));
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
        rows={rows}
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
