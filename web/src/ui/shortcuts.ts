// The app's keyboard shortcuts: which key does what, decided by pure
// functions (unit-tested); App listens and acts. While the user types in a
// field, only the keys with a modifier (and Escape) act, so typing "?" in a
// message stays typing.

export type Shortcut = 'help' | 'switcher' | 'search' | 'prevRoom' | 'nextRoom' | 'escape';

/** The part of a KeyboardEvent the decision needs. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** The help sheet's table, in the order shown. */
export const SHORTCUTS: readonly { keys: string[]; what: string }[] = [
  { keys: ['Ctrl', 'K'], what: 'Quick switcher: type to find a room, Enter opens it' },
  { keys: ['/'], what: 'Search messages (Ctrl + Shift + F while typing): ↑ ↓ to choose a result, Enter opens it' },
  { keys: ['Alt', '↑'], what: 'Previous room' },
  { keys: ['Alt', '↓'], what: 'Next room' },
  { keys: ['?'], what: 'This help (Ctrl + / while typing)' },
  { keys: ['Esc'], what: 'Close a dialog, the emoji picker, the rooms drawer or the members panel' },
  { keys: ['Enter'], what: 'Send the message' },
  { keys: ['Shift', 'Enter'], what: 'New line in the message' },
  { keys: ['↑'], what: 'In an empty message box: edit your last message' },
  { keys: ['@'], what: 'Mention a member: ↑ ↓ to choose, Enter or Tab to pick' },
  { keys: ['Esc'], what: 'Cancel a reply, or an edit' },
];

/** The shortcut a key press means, or null. typing: focus is in a text field. */
export function shortcutFor(e: KeyLike, typing: boolean): Shortcut | null {
  const mod = e.ctrlKey || e.metaKey; // Cmd on a Mac
  if (mod && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') return 'switcher';
  if (mod && !e.altKey && e.key === '/') return 'help';
  if (mod && e.shiftKey && !e.altKey && e.key.toLowerCase() === 'f') return 'search';
  if (e.altKey && !mod && !e.shiftKey && e.key === 'ArrowUp') return 'prevRoom';
  if (e.altKey && !mod && !e.shiftKey && e.key === 'ArrowDown') return 'nextRoom';
  if (e.key === 'Escape' && !mod && !e.altKey) return 'escape';
  if (!typing && !mod && !e.altKey && e.key === '?') return 'help';
  if (!typing && !mod && !e.altKey && e.key === '/') return 'search';
  return null;
}

const TEXT_INPUTS = new Set(['text', 'search', 'email', 'password', 'url', 'tel', 'number', 'date', 'time', 'datetime-local', 'month', 'week']);

/** Whether key presses on this element are someone typing. */
export function isTyping(el: EventTarget | null): boolean {
  if (!el || typeof (el as Element).tagName !== 'string') return false;
  const e = el as HTMLElement;
  const tag = e.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') return TEXT_INPUTS.has(((e as HTMLInputElement).type || 'text').toLowerCase());
  return e.isContentEditable === true;
}

/**
 * The room before (step -1) or after (step 1) the current one in the list,
 * wrapping round; from no room (or one not in the list), the first or last.
 */
export function adjacentRoom(ids: readonly number[], current: number | null, step: 1 | -1): number | null {
  if (ids.length === 0) return null;
  const i = current === null ? -1 : ids.indexOf(current);
  if (i < 0) return step === 1 ? ids[0] : ids[ids.length - 1];
  return ids[(i + step + ids.length) % ids.length];
}

/**
 * Rooms for the quick switcher: those whose name holds every word of the
 * query (case- and accent-insensitively), names starting with the query
 * first, then names with a word starting with it, then the rest; the user's
 * rooms before the others, then by name.
 */
export function filterRooms<R extends { id: number; name: string }>(rooms: readonly R[], query: string, mine: ReadonlySet<number>, limit = 20): R[] {
  const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  const q = fold(query.trim());
  const words = q.split(/\s+/).filter(Boolean);
  const rank = (name: string) => {
    const n = fold(name);
    if (!q || n.startsWith(q)) return 0;
    if (n.split(/[^\p{L}\p{N}]+/u).some((w) => w.startsWith(words[0]))) return 1;
    return 2;
  };
  return rooms
    .filter((r) => {
      const n = fold(r.name);
      return words.every((w) => n.includes(w));
    })
    .map((r) => ({ r, rank: rank(r.name), mine: mine.has(r.id) ? 0 : 1 }))
    .sort((a, b) => a.rank - b.rank || a.mine - b.mine || a.r.name.localeCompare(b.r.name))
    .slice(0, limit)
    .map((x) => x.r);
}
