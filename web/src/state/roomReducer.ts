// The state of one open room, changed only by this reducer: history pages,
// live events of the user stream, the files list and the member list (with
// presence and read pointers). Pure, so the ordering and de-duplication
// rules are unit-tested.

import { tooManyText } from '../api/client';
import { type ChangeEvent, type FileItem, type Member, type Message, type ServerEvent } from '../api/types';
import { applyToList } from './changes';

export const TYPING_SHOW_MS = 4000;

export interface Typist {
  username: string;
  until: number;
}

export interface RoomState {
  roomId: number;
  /** Ascending by seq; each id once. */
  messages: Message[];
  /** Each id once; the timeline decides where they show. */
  files: FileItem[];
  /** file_updated events for files not seen yet, applied when they arrive. */
  filePatches: Record<number, Partial<FileItem>>;
  /** Older history exists on the server. */
  hasMore: boolean;
  historyLoaded: boolean;
  members: Member[];
  typing: Record<number, Typist>;
  lastError: string | null;
  /** The highest seq applied, of a message or a change: how far the user has seen the room. */
  lastSeq: number;
  /**
   * Changes of messages not held (yet): a history page asked for before a
   * change may answer after it, without it. Applied again when a page brings
   * their message; only the newest few are kept.
   */
  orphans: ChangeEvent[];
  /**
   * The list does not reach the room's newest message: the room was opened
   * at a message (a search hit) further back. Live messages then wait in
   * `newer` rather than join a list they would not follow, until paging
   * forward or a jump to the newest reaches the end.
   */
  detached: boolean;
  /** Live messages that came while detached, ascending by seq (at most NEWER_MAX: the oldest go first). */
  newer: Message[];
  /** Some of `newer` were dropped: the end is reached only by a page that gets to them. */
  newerTrimmed: boolean;
  /** The message the room was opened at, until the view has shown it. */
  target: number | null;
  /** Bumped when the list is replaced instead of extended (the newest page after a detached one): the view starts over. */
  epoch: number;
}

/** How many changes of messages not held are kept for a history page to come. */
export const ORPHANS_MAX = 200;

/** How many live messages a detached list keeps for when it reaches the end. */
export const NEWER_MAX = 1000;

export type RoomAction =
  /** Starts over; with around, at that message (detached until its page says it is near the end). */
  | { type: 'reset'; roomId: number; around?: number }
  /** One page from GET /rooms/{id}/messages (newest first), and the limit asked for. */
  | { type: 'history'; messages: Message[]; limit: number }
  /** The page around the target message (GET …/messages?around=, newest first). */
  | { type: 'around'; messages: Message[]; limit: number; target: number }
  /** The page after the list's newest message (GET …/messages?after_seq=, oldest first). */
  | { type: 'newer'; messages: Message[]; limit: number }
  /** The room's newest page, replacing a detached list ("Jump to newest"). */
  | { type: 'newest'; messages: Message[]; limit: number }
  /** Show this held message (a search hit already in the list). */
  | { type: 'target'; id: number }
  /** The view has shown the target. */
  | { type: 'target_shown' }
  | { type: 'event'; event: ServerEvent; now: number }
  | { type: 'files'; files: FileItem[] }
  | { type: 'file_added'; file: FileItem }
  | { type: 'members'; members: Member[] }
  | { type: 'tick'; now: number }
  /**
   * A change this client made and the server confirmed (a PATCH answer, a
   * DELETE's 204): applied at once, the event that follows changes nothing.
   */
  | { type: 'local_change'; change: ChangeEvent }
  /** The server's current copy of one held message (GET …/messages/{id}: fresh file links). */
  | { type: 'message_state'; message: Message }
  | { type: 'error'; text: string }
  | { type: 'clear_error' };

export function initialRoomState(roomId: number, around?: number): RoomState {
  return {
    roomId,
    messages: [],
    files: [],
    filePatches: {},
    hasMore: true,
    historyLoaded: false,
    members: [],
    typing: {},
    lastError: null,
    lastSeq: 0,
    orphans: [],
    detached: around !== undefined,
    newer: [],
    newerTrimmed: false,
    target: around ?? null,
    epoch: 0,
  };
}

/**
 * What a page around a message (newest first, at most limit) says of its
 * ends. The server takes half of limit older messages and the rest newer,
 * the other side filling in where one side has fewer: a short page holds
 * everything; a side that got less than its half has nothing more. (A side
 * that got exactly its share may have more or not: the next page tells.)
 */
export function aroundEnds(page: readonly Message[], target: number, limit: number): { older: boolean; newer: boolean } {
  const t = page.findIndex((m) => m.id === target);
  if (page.length < limit) return { older: false, newer: false };
  if (t < 0) return { older: true, newer: true };
  const half = Math.floor(limit / 2);
  return { older: page.length - 1 - t >= half, newer: t >= limit - 1 - half };
}

/** The seq of the room's newest message or change known here: where a file shared now belongs. */
export function liveEnd(state: RoomState): number {
  return state.detached ? Math.max(state.lastSeq, maxSeq(state.newer), maxSeq(state.messages)) : maxSeq(state.messages);
}

/**
 * Joins the live end when the list has reached it: the messages that came
 * while detached and are newer than the list go on its end. While some were
 * dropped past the list's end, it stays detached (the next page gets there).
 */
function attach(state: RoomState): RoomState {
  const top = maxSeq(state.messages);
  if (state.newerTrimmed && state.newer.length > 0 && state.newer[0].seq > top) return state;
  const fresh = state.newer.filter((m) => m.seq > top);
  return { ...state, messages: mergeMessages(state.messages, fresh), newer: [], newerTrimmed: false, detached: false };
}

/** Keeps a live message for when a detached list reaches the end. */
function holdNewer(state: RoomState, m: Message): RoomState {
  if (state.messages.some((x) => x.id === m.id)) return state;
  const newer = mergeMessages(state.newer, [m]);
  if (newer === state.newer) return state;
  const over = newer.length - NEWER_MAX;
  return over > 0 ? { ...state, newer: newer.slice(over), newerTrimmed: true } : { ...state, newer };
}

function bySeq(a: Message, b: Message): number {
  return a.seq - b.seq || a.id - b.id;
}

/** Merges messages into an ascending, id-unique list. Returns `list` itself when nothing is new. */
export function mergeMessages(list: readonly Message[], incoming: readonly Message[]): Message[] {
  // The usual live case, kept cheap in a long history: one message newer
  // than all. Seqs are unique in a room, so its id cannot be listed yet.
  const last = list[list.length - 1];
  if (incoming.length === 1 && last && incoming[0] && typeof incoming[0].id === 'number' && incoming[0].seq > last.seq) return [...list, incoming[0]];
  const seen = new Set(list.map((m) => m.id));
  const fresh: Message[] = [];
  for (const m of incoming) {
    if (!m || typeof m.id !== 'number' || seen.has(m.id)) continue;
    seen.add(m.id);
    fresh.push(m);
  }
  if (fresh.length === 0) return list as Message[];
  fresh.sort(bySeq);
  if (!last || bySeq(last, fresh[0]) < 0) return [...list, ...fresh];
  return [...list, ...fresh].sort(bySeq);
}

export function maxSeq(list: readonly Message[]): number {
  return list.length ? list[list.length - 1].seq : 0;
}

export function oldestId(list: readonly Message[]): number | null {
  if (!list.length) return null;
  let min = list[0].id;
  for (const m of list) if (m.id < min) min = m.id;
  return min;
}

function withoutNullish<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(patch)) if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Inserts or updates a file; never loses a known thumbnail or timeline anchor. */
export function upsertFile(state: RoomState, file: FileItem): RoomState {
  const patch = state.filePatches[file.id];
  const i = state.files.findIndex((f) => f.id === file.id);
  const merged: FileItem =
    i < 0 ? { ...file, ...(patch ?? {}) } : { ...state.files[i], ...withoutNullish(file), anchor_seq: state.files[i].anchor_seq ?? file.anchor_seq };
  if (i >= 0 && !merged.thumbnail_url && state.files[i].thumbnail_url) merged.thumbnail_url = state.files[i].thumbnail_url;
  const files = i < 0 ? [...state.files, merged] : state.files.map((f, j) => (j === i ? merged : f));
  let filePatches = state.filePatches;
  if (patch) {
    filePatches = { ...filePatches };
    delete filePatches[file.id];
  }
  return { ...state, files, filePatches };
}

function setOnline(members: Member[], userId: number, username: string, online: boolean): Member[] {
  const i = members.findIndex((m) => m.id === userId);
  if (i < 0) return online ? [...members, { id: userId, username, online: true }] : members;
  if (members[i].online === online) return members;
  return members.map((m, j) => (j === i ? { ...m, online } : m));
}

/** A member's new name and avatar (user_updated); the list itself when they are not a member or nothing changed. */
function renameMember(members: Member[], ev: Extract<ServerEvent, { type: 'user_updated' }>): Member[] {
  const i = members.findIndex((m) => m.id === ev.user_id);
  if (i < 0) return members;
  const m = members[i];
  const next: Member = {
    ...m,
    username: ev.username || m.username,
    display_name: ev.display_name === undefined ? m.display_name : ev.display_name,
    avatar_url: ev.avatar_url === undefined ? m.avatar_url : ev.avatar_url,
  };
  if (next.username === m.username && next.display_name === m.display_name && next.avatar_url === m.avatar_url) return members;
  return members.map((x, j) => (j === i ? next : x));
}

/** Moves a member's read pointer forward; unknown users and older seqs change nothing. */
function readTo(members: Member[], userId: number, seq: number): Member[] {
  const i = members.findIndex((m) => m.id === userId);
  if (i < 0 || (members[i].last_read_seq ?? -1) >= seq) return members;
  return members.map((m, j) => (j === i ? { ...m, last_read_seq: seq } : m));
}

function dropTypist(typing: Record<number, Typist>, userId: number): Record<number, Typist> {
  if (!(userId in typing)) return typing;
  const next = { ...typing };
  delete next[userId];
  return next;
}

/** Applies a change of a stored message; one about a message not held waits for a page that brings it. */
function applyChangeEvent(state: RoomState, ev: ChangeEvent): RoomState {
  const lastSeq = Math.max(state.lastSeq, ev.seq || 0);
  const { messages, found } = applyToList(state.messages, ev);
  const orphans = found || !(ev.seq > 0) ? state.orphans : [...state.orphans, ev].slice(-ORPHANS_MAX);
  if (messages === state.messages && orphans === state.orphans && lastSeq === state.lastSeq) return state;
  return { ...state, messages, orphans, lastSeq };
}

/** Applies again the changes waiting for messages the list now holds, in seq order, and forgets them. */
function adoptOrphans(state: RoomState): RoomState {
  if (!state.orphans.length) return state;
  const held = new Set(state.messages.map((m) => m.id));
  const now = state.orphans.filter((c) => held.has(c.message_id));
  if (!now.length) return state;
  let messages = state.messages;
  for (const c of now) messages = applyToList(messages, c).messages;
  return { ...state, messages, orphans: state.orphans.filter((c) => !held.has(c.message_id)) };
}

/** A file_updated patch for a file attached to a held message; the list itself when none has it. */
function patchMessageFile(list: Message[], fileId: number, patch: Partial<FileItem>): Message[] {
  let out: Message[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const fs = list[i].files;
    if (!fs || !fs.some((f) => f.id === fileId)) continue;
    out ??= list.slice();
    out[i] = { ...list[i], files: fs.map((f) => (f.id === fileId ? { ...f, ...patch } : f)) };
  }
  return out ?? list;
}

function applyEvent(state: RoomState, ev: ServerEvent, now: number): RoomState {
  if ('room_id' in ev && typeof ev.room_id === 'number' && ev.room_id !== state.roomId) return state;
  switch (ev.type) {
    case 'message': {
      const { type: _type, duplicate: _duplicate, ...m } = ev;
      if (state.detached) {
        const held = holdNewer(state, m);
        const typing = dropTypist(held.typing, m.user_id);
        const lastSeq = Math.max(held.lastSeq, m.seq || 0);
        return held === state && typing === state.typing && lastSeq === state.lastSeq ? state : { ...held, typing, lastSeq };
      }
      const messages = mergeMessages(state.messages, [m]);
      const typing = dropTypist(state.typing, m.user_id);
      const lastSeq = Math.max(state.lastSeq, m.seq || 0);
      if (messages === state.messages && typing === state.typing && lastSeq === state.lastSeq) return state;
      return { ...state, messages, typing, lastSeq };
    }
    case 'message_edited':
    case 'message_deleted':
    case 'reaction_added':
    case 'reaction_removed':
      return applyChangeEvent(state, ev);
    case 'typing':
      return { ...state, typing: { ...state.typing, [ev.user_id]: { username: ev.username, until: now + TYPING_SHOW_MS } } };
    case 'user_joined':
      return { ...state, members: setOnline(state.members, ev.user_id, ev.username, true) };
    case 'user_left':
      return {
        ...state,
        members: setOnline(state.members, ev.user_id, ev.username, false),
        typing: dropTypist(state.typing, ev.user_id),
      };
    case 'presence': {
      // A user who shares some room with us: only a member of this one shows.
      if (!state.members.some((m) => m.id === ev.user_id)) return state;
      const members = setOnline(state.members, ev.user_id, ev.username, ev.online);
      return members === state.members ? state : { ...state, members, typing: ev.online ? state.typing : dropTypist(state.typing, ev.user_id) };
    }
    case 'member_joined':
      // Online or not is for presence to say; the name and avatar come with the next member list.
      return state.members.some((m) => m.id === ev.user_id) ? state : { ...state, members: [...state.members, { id: ev.user_id, username: ev.username, online: false }] };
    case 'member_left': {
      if (!state.members.some((m) => m.id === ev.user_id)) return state;
      return { ...state, members: state.members.filter((m) => m.id !== ev.user_id), typing: dropTypist(state.typing, ev.user_id) };
    }
    case 'user_updated': {
      const members = renameMember(state.members, ev);
      return members === state.members ? state : { ...state, members };
    }
    case 'read_receipt': {
      const members = readTo(state.members, ev.user_id, ev.seq);
      return members === state.members ? state : { ...state, members };
    }
    case 'file_shared':
      return upsertFile(state, {
        id: ev.file_id,
        room_id: ev.room_id,
        user_id: ev.user_id,
        filename: ev.filename,
        content_type: ev.content_type,
        size: ev.size,
        file_url: ev.file_url,
        thumbnail_url: ev.thumbnail_url ?? null,
        thumbnail_status: ev.thumbnail_status,
        created_at: ev.created_at,
        anchor_seq: liveEnd(state),
      });
    case 'file_updated': {
      const patch = withoutNullish({ thumbnail_url: ev.thumbnail_url, file_url: ev.file_url, thumbnail_status: ev.thumbnail_status });
      if (!state.files.some((f) => f.id === ev.file_id)) {
        const messages = patchMessageFile(state.messages, ev.file_id, patch);
        if (messages !== state.messages) return { ...state, messages };
        return { ...state, filePatches: { ...state.filePatches, [ev.file_id]: { ...state.filePatches[ev.file_id], ...patch } } };
      }
      return { ...state, files: state.files.map((f) => (f.id === ev.file_id ? { ...f, ...patch } : f)), messages: patchMessageFile(state.messages, ev.file_id, patch) };
    }
    case 'error':
      if (ev.code === 'rate_limited') return { ...state, lastError: tooManyText(ev.retry_after) };
      return { ...state, lastError: ev.detail || ev.code || 'The server rejected a message.' };
    default:
      return state;
  }
}

export function roomReducer(state: RoomState, action: RoomAction): RoomState {
  switch (action.type) {
    case 'reset':
      return { ...initialRoomState(action.roomId, action.around), epoch: state.epoch + 1 };
    case 'history': {
      const messages = mergeMessages(state.messages, action.messages);
      return adoptOrphans({ ...state, messages, hasMore: action.messages.length >= action.limit, historyLoaded: true });
    }
    case 'around': {
      const ends = aroundEnds(action.messages, action.target, action.limit);
      const s = { ...state, messages: mergeMessages([], action.messages), hasMore: ends.older, historyLoaded: true, target: action.target };
      return adoptOrphans(ends.newer ? { ...s, detached: true } : attach(s));
    }
    case 'newer': {
      const s = { ...state, messages: mergeMessages(state.messages, action.messages) };
      return adoptOrphans(s.detached && action.messages.length < action.limit ? attach(s) : s);
    }
    case 'newest': {
      const s = { ...state, messages: mergeMessages([], action.messages), hasMore: action.messages.length >= action.limit, historyLoaded: true };
      return adoptOrphans({ ...attach(s), target: null, epoch: state.epoch + 1 });
    }
    case 'target':
      return state.target === action.id ? state : { ...state, target: action.id };
    case 'target_shown':
      return state.target === null ? state : { ...state, target: null };
    case 'local_change': {
      const { messages } = applyToList(state.messages, action.change);
      return messages === state.messages ? state : { ...state, messages };
    }
    case 'message_state': {
      const i = state.messages.findIndex((m) => m.id === action.message.id);
      if (i < 0) return state;
      return { ...state, messages: state.messages.map((m, j) => (j === i ? action.message : m)) };
    }
    case 'error':
      return { ...state, lastError: action.text };
    case 'event':
      return applyEvent(state, action.event, action.now);
    case 'files':
      return action.files.reduce((s, f) => upsertFile(s, f), state);
    case 'file_added':
      return upsertFile(state, { ...action.file, anchor_seq: action.file.anchor_seq ?? liveEnd(state) });
    case 'members': {
      // A fresh list from the server wins, but keeps anyone announced since
      // (user_joined may overtake the list response) and read pointers that
      // moved since (read_receipt may overtake it too). A member who hides
      // receipts has no pointer in the list, and keeps none.
      const before = new Map(state.members.map((m) => [m.id, m]));
      const known = new Set(action.members.map((m) => m.id));
      const extra = state.members.filter((m) => !known.has(m.id) && m.online);
      const fresh = action.members.map((m) => {
        const seen = before.get(m.id)?.last_read_seq;
        return m.last_read_seq !== undefined && seen !== undefined && seen > m.last_read_seq ? { ...m, last_read_seq: seen } : m;
      });
      return { ...state, members: [...fresh, ...extra] };
    }
    case 'tick': {
      let typing = state.typing;
      for (const [id, t] of Object.entries(state.typing)) if (t.until <= action.now) typing = dropTypist(typing, Number(id));
      return typing === state.typing ? state : { ...state, typing };
    }
    case 'clear_error':
      return state.lastError ? { ...state, lastError: null } : state;
  }
}

/** Names of others typing now, for "… is typing". */
export function typingNames(state: RoomState, me: number, now: number): string[] {
  return Object.entries(state.typing)
    .filter(([id, t]) => Number(id) !== me && t.until > now)
    .map(([, t]) => t.username)
    .sort();
}

/** A piece of the typing line: a user's name (to isolate when shown) or wording. */
export type TypingPart = { name: string } | string;

/** The typing line as parts, so names can be shown isolated (<bdi>). */
export function typingParts(names: string[]): TypingPart[] {
  const n = names.map((name) => ({ name }));
  if (n.length === 0) return [];
  if (n.length === 1) return [n[0], ' is typing…'];
  if (n.length === 2) return [n[0], ' and ', n[1], ' are typing…'];
  return [n[0], ', ', n[1], ` and ${n.length - 2} more are typing…`];
}
