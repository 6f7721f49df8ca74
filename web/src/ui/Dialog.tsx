// In-page modal dialogs: the window's own confirm() can't be styled, tested
// or read aloud with context, and blocks the page's timers.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorText } from '../api/client';
import { ModalStack, trapTab } from './focusTrap';

interface OpenModal {
  close: () => void;
  container: () => HTMLElement | null | undefined;
}

const modals = new ModalStack<OpenModal>();

/** Whether a modal dialog is open: page shortcuts and Escape for panels wait until it closes. */
export function modalOpen(): boolean {
  return modals.size > 0;
}

/**
 * What every modal does while it is open: focus moves into it (to what
 * `focus` returns) and stays inside `container` (Tab wraps round), Escape
 * closes it, and when it goes focus returns to whatever had it before. Only
 * the innermost open modal answers the keyboard.
 */
export function useModal(onClose: () => void, focus: () => HTMLElement | null | undefined, container?: () => HTMLElement | null | undefined) {
  const close = useRef(onClose);
  close.current = onClose;
  const target = useRef(focus);
  const box = useRef(container);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const me: OpenModal = { close: () => close.current(), container: () => box.current?.() };
    modals.push(me);
    target.current()?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (!modals.isTop(me) || e.defaultPrevented) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        me.close();
        return;
      }
      const el = me.container();
      if (el) trapTab(e, el);
    };
    // Focus sent elsewhere (a click through, a script) comes back inside.
    const onFocusIn = (e: FocusEvent) => {
      const el = me.container();
      if (modals.isTop(me) && el && e.target instanceof Node && !el.contains(e.target)) (target.current() ?? el).focus();
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('focusin', onFocusIn);
    return () => {
      modals.remove(me);
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('focusin', onFocusIn);
      before?.focus?.();
    };
  }, []);
}

export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; className?: string }) {
  const card = useRef<HTMLDivElement>(null);
  useModal(
    props.onClose,
    // What the dialog marks (data-autofocus), else its first field or button.
    () => card.current?.querySelector<HTMLElement>('[data-autofocus]') ?? card.current?.querySelector<HTMLElement>('input, textarea, select, button') ?? card.current,
    () => card.current,
  );
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
