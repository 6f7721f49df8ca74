// Small non-modal popups opened by a button: a menu (role=menu, arrow keys
// move between its items) or a popover holding a little form. Escape, Tab
// out or a click elsewhere close them; Escape gives focus back to the
// button that opened them. What they hold is the caller's.
import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

/** Where a popup opens: below its button, or above when there is no room below. */
export type Side = 'up' | 'down';

/** The side with room for a popup of about height px under the button el. */
export function sideFor(el: HTMLElement | null, height: number): Side {
  if (!el) return 'down';
  const r = el.getBoundingClientRect();
  return r.bottom + height > window.innerHeight && r.top > height ? 'up' : 'down';
}

/** Closes on a click outside box and toggle, and on Escape (focus back to toggle). */
function useDismiss(box: () => HTMLElement | null, toggle: () => HTMLElement | null, onClose: () => void) {
  const live = useRef({ box, toggle, onClose });
  live.current = { box, toggle, onClose };
  useEffect(() => {
    const onPointer = (e: PointerEvent) => {
      const path = e.composedPath();
      const { box, toggle, onClose } = live.current;
      const b = box();
      const t = toggle();
      if (b && !path.includes(b) && !(t && path.includes(t))) onClose();
    };
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const b = live.current.box();
      if (!b || !(b.contains(document.activeElement) || document.activeElement === live.current.toggle())) return;
      e.preventDefault();
      live.current.onClose();
      live.current.toggle()?.focus();
    };
    document.addEventListener('pointerdown', onPointer);
    window.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      window.removeEventListener('keydown', onKey, true);
    };
  }, []);
}

/**
 * A menu of buttons (each with role="menuitem"): the first takes focus as
 * it opens, Up and Down (and Home, End) move between them, Tab closes it.
 */
export function Menu(props: { label: string; side: Side; className?: string; toggle: () => HTMLElement | null; onClose: () => void; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  useDismiss(() => box.current, props.toggle, props.onClose);
  useEffect(() => {
    box.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, []);
  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const items = Array.from(box.current?.querySelectorAll<HTMLElement>('[role="menuitem"]:not([disabled])') ?? []);
    const i = items.indexOf(document.activeElement as HTMLElement);
    const go = (j: number) => {
      e.preventDefault();
      items[(j + items.length) % items.length]?.focus();
    };
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') go(i + 1);
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') go(i - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(items.length - 1);
    else if (e.key === 'Tab') props.onClose();
  }
  return (
    <div ref={box} role="menu" aria-label={props.label} className={`popup popup-${props.side} ${props.className ?? ''}`} onKeyDown={onKeyDown}>
      {props.children}
    </div>
  );
}

/** A non-modal popup holding a small form; its first field or button takes focus. */
export function Popover(props: { label: string; side: Side; className?: string; toggle: () => HTMLElement | null; onClose: () => void; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  useDismiss(() => box.current, props.toggle, props.onClose);
  useEffect(() => {
    box.current?.querySelector<HTMLElement>('button, input, textarea, select')?.focus();
  }, []);
  return (
    <div ref={box} role="dialog" aria-label={props.label} className={`popup popup-${props.side} ${props.className ?? ''}`}>
      {props.children}
    </div>
  );
}
