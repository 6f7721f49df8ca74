// What a user leaves behind in this browser between visits: the unsent text
// of each room (a draft) and the room that was open last. Kept in
// localStorage per user, so that another account signed in on the same
// browser sees none of it. Storage that is full or disabled loses them, and
// nothing else: every call swallows its errors.

/** The part of Web Storage used here (localStorage, or a fake in tests). */
export interface KeyValueStorage {
  readonly length: number;
  key(i: number): string | null;
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
}

const draftPrefix = (userId: number) => `chat.draft.${userId}.`;
const lastRoomKey = (userId: number) => `chat.lastRoom.${userId}`;

/** The draft of a room ('' when none). */
export function loadDraft(storage: KeyValueStorage, userId: number, roomId: number): string {
  try {
    return storage.getItem(draftPrefix(userId) + roomId) ?? '';
  } catch {
    return '';
  }
}

/** Keeps the text typed in a room; blank text forgets the draft. */
export function saveDraft(storage: KeyValueStorage, userId: number, roomId: number, text: string): void {
  try {
    if (text.trim()) storage.setItem(draftPrefix(userId) + roomId, text);
    else storage.removeItem(draftPrefix(userId) + roomId);
  } catch {
    /* storage full or disabled: the draft lives as long as the page */
  }
}

/** Forgets every draft of the user (signing out). */
export function clearDrafts(storage: KeyValueStorage, userId: number): void {
  try {
    const prefix = draftPrefix(userId);
    const keys: string[] = [];
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i);
      if (k && k.startsWith(prefix)) keys.push(k);
    }
    keys.forEach((k) => storage.removeItem(k));
  } catch {
    /* nothing to clear */
  }
}

/** The room open last, to open again after a reload or the next sign-in (null: none). */
export function loadLastRoom(storage: KeyValueStorage, userId: number): number | null {
  try {
    const id = Number(storage.getItem(lastRoomKey(userId)));
    return Number.isInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}

/** Remembers the open room; null forgets it (the user went home, or left the room). */
export function saveLastRoom(storage: KeyValueStorage, userId: number, roomId: number | null): void {
  try {
    if (roomId === null) storage.removeItem(lastRoomKey(userId));
    else storage.setItem(lastRoomKey(userId), String(roomId));
  } catch {
    /* storage full or disabled */
  }
}

/** localStorage, or an empty stand-in where the browser refuses it (some private modes). */
export function browserStorage(): KeyValueStorage {
  try {
    return globalThis.localStorage ?? emptyStorage;
  } catch {
    return emptyStorage;
  }
}

const emptyStorage: KeyValueStorage = {
  length: 0,
  key: () => null,
  getItem: () => null,
  setItem: () => {},
  removeItem: () => {},
};
