// Keeping the keyboard inside an open dialog. The decisions are pure (which
// element Tab goes to, which dialog is on top), so they are unit-tested; the
// DOM part only finds the candidates.

/** What Tab can reach. */
export const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

/**
 * Where Tab (or Shift+Tab when back) must go so focus stays among items:
 * from the last to the first and back round, and from outside to the first
 * (or the last). null: the browser's own move stays inside.
 */
export function trapTarget<T>(items: readonly T[], active: T | null, back: boolean): T | null {
  if (items.length === 0) return null;
  const i = active === null ? -1 : items.indexOf(active);
  if (i < 0) return back ? items[items.length - 1] : items[0];
  if (back && i === 0) return items[items.length - 1];
  if (!back && i === items.length - 1) return items[0];
  return null;
}

/** The tabbable elements inside a container, in document order, visible ones only. */
export function focusablesIn(container: HTMLElement): HTMLElement[] {
  return Array.from(container.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.getClientRects().length > 0 && el.tabIndex >= 0);
}

/**
 * Handles Tab inside container: focus wraps round and never leaves it. A
 * container with nothing to tab to keeps focus on itself.
 */
export function trapTab(e: KeyboardEvent, container: HTMLElement): void {
  if (e.key !== 'Tab' || e.altKey || e.ctrlKey || e.metaKey) return;
  const items = focusablesIn(container);
  const active = document.activeElement as HTMLElement | null;
  if (items.length === 0) {
    e.preventDefault();
    container.focus();
    return;
  }
  const target = trapTarget(items, active && container.contains(active) ? active : null, e.shiftKey);
  if (target) {
    e.preventDefault();
    target.focus();
  }
}

/**
 * The open dialogs, innermost last: only the top one answers Escape and
 * traps Tab, so a dialog opened from a dialog closes first.
 */
export class ModalStack<T> {
  private items: T[] = [];
  push(item: T): void {
    this.items.push(item);
  }
  remove(item: T): void {
    const i = this.items.lastIndexOf(item);
    if (i >= 0) this.items.splice(i, 1);
  }
  top(): T | undefined {
    return this.items[this.items.length - 1];
  }
  isTop(item: T): boolean {
    return this.top() === item;
  }
  get size(): number {
    return this.items.length;
  }
}
