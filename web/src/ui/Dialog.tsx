// In-page modal dialogs: the window's own confirm() can't be styled, tested
// or read aloud with context, and blocks the page's timers.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorText } from '../api/client';

export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; className?: string }) {
  const card = useRef<HTMLDivElement>(null);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const first = card.current?.querySelector<HTMLElement>('input, textarea, select, button');
    (first ?? card.current)?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose.current();
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      before?.focus?.();
    };
  }, []);
  return (
    <div className="modal" onClick={props.onClose}>
      <div
        ref={card}
        className={`modal-card ${props.className ?? ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
      >
        <h2>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

/** Asks before something that can't be undone; shows the server's refusal in place. */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onCancel: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title={props.title} onClose={() => !busy && props.onCancel()}>
      <div className="modal-body">{props.children}</div>
      {error && (
        <p className="error small-text" role="alert">
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
        <button
          className={props.danger ? 'danger' : 'primary'}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await props.onConfirm();
            } catch (e) {
              setError(errorText(e));
              setBusy(false);
            }
          }}
        >
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
