// In-page modal dialogs: the window's own confirm() can't be styled, tested
// or read aloud with context, and blocks the page's timers.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorText } from '../api/client';

/**
 * What every modal does while it is open: focus moves into it (to what
 * `focus` returns), Escape closes it, and when it goes focus returns to
 * whatever had it before.
 */
export function useModal(onClose: () => void, focus: () => HTMLElement | null | undefined) {
  const close = useRef(onClose);
  close.current = onClose;
  const target = useRef(focus);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    target.current()?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close.current();
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      before?.focus?.();
    };
  }, []);
}

export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; className?: string }) {
  const card = useRef<HTMLDivElement>(null);
  useModal(props.onClose, () => card.current?.querySelector<HTMLElement>('input, textarea, select, button') ?? card.current);
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
