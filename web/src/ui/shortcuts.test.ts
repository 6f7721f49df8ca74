import { describe, expect, it } from 'vitest';
import { adjacentRoom, filterRooms, isTyping, shortcutFor, type KeyLike } from './shortcuts';

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

describe('shortcutFor', () => {
  it('opens the quick switcher with Ctrl+K or Cmd+K, even while typing', () => {
    for (const typing of [false, true]) {
      expect(shortcutFor(key('k', { ctrlKey: true }), typing)).toBe('switcher');
      expect(shortcutFor(key('K', { metaKey: true }), typing)).toBe('switcher');
    }
    expect(shortcutFor(key('k'), false)).toBeNull();
    expect(shortcutFor(key('k', { ctrlKey: true, altKey: true }), false)).toBeNull();
  });

  it('opens the help with ? outside fields, and Ctrl+/ anywhere', () => {
    expect(shortcutFor(key('?', { shiftKey: true }), false)).toBe('help');
    expect(shortcutFor(key('?', { shiftKey: true }), true)).toBeNull();
    expect(shortcutFor(key('/', { ctrlKey: true }), true)).toBe('help');
  });

  it('opens the search with / outside fields, and Ctrl+Shift+F or Cmd+Shift+F anywhere', () => {
    expect(shortcutFor(key('/'), false)).toBe('search');
    expect(shortcutFor(key('/'), true)).toBeNull();
    for (const typing of [false, true]) {
      expect(shortcutFor(key('F', { ctrlKey: true, shiftKey: true }), typing)).toBe('search');
      expect(shortcutFor(key('f', { metaKey: true, shiftKey: true }), typing)).toBe('search');
    }
    // Ctrl+F stays the browser's find in page.
    expect(shortcutFor(key('f', { ctrlKey: true }), false)).toBeNull();
  });

  it('moves between rooms with Alt+Up and Alt+Down, also from the composer', () => {
    expect(shortcutFor(key('ArrowUp', { altKey: true }), true)).toBe('prevRoom');
    expect(shortcutFor(key('ArrowDown', { altKey: true }), false)).toBe('nextRoom');
    expect(shortcutFor(key('ArrowDown'), false)).toBeNull();
    expect(shortcutFor(key('ArrowDown', { altKey: true, shiftKey: true }), false)).toBeNull();
  });

  it('reports Escape, and leaves every other key alone', () => {
    expect(shortcutFor(key('Escape'), true)).toBe('escape');
    for (const k of ['a', 'Enter', 'Tab', ' ', 'ArrowUp', 'f']) expect(shortcutFor(key(k), false)).toBeNull();
    expect(shortcutFor(key('c', { ctrlKey: true }), true)).toBeNull();
  });
});

describe('isTyping', () => {
  const el = (tagName: string, extra: object = {}) => ({ tagName, ...extra }) as unknown as EventTarget;
  it('counts text fields, text areas, selects and editable content', () => {
    expect(isTyping(el('TEXTAREA'))).toBe(true);
    expect(isTyping(el('INPUT', { type: 'text' }))).toBe(true);
    expect(isTyping(el('INPUT', { type: 'search' }))).toBe(true);
    expect(isTyping(el('SELECT'))).toBe(true);
    expect(isTyping(el('DIV', { isContentEditable: true }))).toBe(true);
  });
  it('does not count buttons, checkboxes, links or nothing', () => {
    expect(isTyping(el('BUTTON'))).toBe(false);
    expect(isTyping(el('INPUT', { type: 'checkbox' }))).toBe(false);
    expect(isTyping(el('A'))).toBe(false);
    expect(isTyping(null)).toBe(false);
  });
});

describe('adjacentRoom', () => {
  const ids = [4, 7, 9];
  it('steps and wraps round', () => {
    expect(adjacentRoom(ids, 7, 1)).toBe(9);
    expect(adjacentRoom(ids, 9, 1)).toBe(4);
    expect(adjacentRoom(ids, 4, -1)).toBe(9);
    expect(adjacentRoom(ids, 7, -1)).toBe(4);
  });
  it('starts at an end from no room or a room not listed', () => {
    expect(adjacentRoom(ids, null, 1)).toBe(4);
    expect(adjacentRoom(ids, 99, -1)).toBe(9);
    expect(adjacentRoom([], 4, 1)).toBeNull();
  });
});

describe('filterRooms', () => {
  const rooms = [
    { id: 1, name: 'General' },
    { id: 2, name: 'Design reviews' },
    { id: 3, name: 'random' },
    { id: 4, name: 'Gene therapy' },
    { id: 5, name: 'Café talk' },
    { id: 6, name: 'the general store' },
  ];
  const names = (q: string, mine = new Set<number>()) => filterRooms(rooms, q, mine).map((r) => r.name);
  it('lists every room for an empty query, the user’s first', () => {
    expect(names('', new Set([3]))).toEqual(['random', 'Café talk', 'Design reviews', 'Gene therapy', 'General', 'the general store']);
  });
  it('ranks names that start with the query, then words that do, then the rest', () => {
    expect(names('gen')).toEqual(['Gene therapy', 'General', 'the general store']);
    expect(names('view')).toEqual(['Design reviews']);
  });
  it('ignores case and accents, and needs every word', () => {
    expect(names('CAFE')).toEqual(['Café talk']);
    expect(names('gen store')).toEqual(['the general store']);
    expect(names('nothing like it')).toEqual([]);
  });
});
