// The room list the sidebar shows, with where the user stands in each room
// (last_seq, last_read_seq, unread_count): GET /rooms, then the user
// stream's events keep it live. Pure, so the unread rules are unit-tested.
//
// Counts come from the server (GET /rooms, ready, room_added, read); live
// messages from others add to them. Seqs make that idempotent: a message
// counts only when it is newer than the room's last_seq, so a replay, a
// duplicate answer or a gap fill never counts twice. Changes of messages
// (edits, deletions, reactions) take seqs of the same stream: they move
// last_seq but are not unread. Mentions of the user (mention_count) are
// counted like unread messages and cleared with them.

import { isChange, type ReadState, type Room, type ServerEvent } from '../api/types';

export type RoomUpdate = Extract<ServerEvent, { type: 'room_updated' }>;

export type RoomListAction =
  /** GET /rooms: the rooms the user may see. */
  | { type: 'list'; rooms: Room[] }
  /** The server's copy of one room (created, saved or handed over here). */
  | { type: 'upsert'; room: Room }
  /** This client saw the user join (true) or lose (false) a room. */
  | { type: 'membership'; roomId: number; member: boolean }
  /** This client moved the read pointer (the server's `read` event confirms it). */
  | { type: 'read_local'; roomId: number; seq: number }
  /** An event of the user stream. reading: the room the user is reading now, if any. */
  | { type: 'event'; event: ServerEvent; me: number; reading: number | null };

type Standing = Pick<Room, 'last_seq' | 'last_read_seq' | 'unread_count' | 'mention_count'>;

/**
 * Where the user stands, from a server snapshot, unless what this client
 * already saw is newer (it counted live messages the snapshot predates).
 * The read pointer never moves back.
 */
function mergeStanding(local: Room, snap: Standing): Standing {
  if (snap.last_seq === undefined || (local.last_seq ?? -1) > snap.last_seq) return standingOf(local);
  const read = Math.max(local.last_read_seq ?? 0, snap.last_read_seq ?? 0);
  const all = read >= snap.last_seq;
  const out: Standing = {
    last_seq: snap.last_seq,
    last_read_seq: read,
    unread_count: all ? 0 : snap.unread_count,
  };
  const mentions = all ? 0 : (snap.mention_count ?? local.mention_count);
  if (mentions !== undefined) out.mention_count = mentions;
  return out;
}

/** The list with the updated room's settings applied; the list itself when nothing changes. */
export function applyRoomUpdate(rooms: Room[], ev: RoomUpdate): Room[] {
  const i = rooms.findIndex((r) => r.id === ev.room_id);
  if (i < 0) return rooms;
  const r = rooms[i];
  // A room that became private leaves the lists of those outside it.
  if (ev.is_private && r.is_member === false) return rooms.filter((x) => x.id !== ev.room_id);
  if (r.name === ev.name && (r.description ?? '') === ev.description && r.is_private === ev.is_private && r.owner_id === ev.owner_id) return rooms;
  const next = [...rooms];
  next[i] = { ...r, name: ev.name, description: ev.description, is_private: ev.is_private, owner_id: ev.owner_id };
  return next;
}

/** Replaces a room with the server's copy (after a PATCH or a transfer), keeping list-only fields. */
export function replaceRoom(rooms: Room[], room: Room): Room[] {
  return rooms.map((r) => (r.id === room.id ? { ...r, ...room, is_member: room.is_member ?? r.is_member, ...standingOf(r) } : r));
}

function standingOf(r: Room): Standing {
  const s: Standing = {};
  if (r.last_seq !== undefined) s.last_seq = r.last_seq;
  if (r.last_read_seq !== undefined) s.last_read_seq = r.last_read_seq;
  if (r.unread_count !== undefined) s.unread_count = r.unread_count;
  if (r.mention_count !== undefined) s.mention_count = r.mention_count;
  return s;
}

/** Clears a room's mention count, when it has one. */
function noMentions(r: Room): Pick<Room, 'mention_count'> {
  return r.mention_count === undefined ? {} : { mention_count: 0 };
}

function update(rooms: Room[], id: number, fn: (r: Room) => Room): Room[] {
  const i = rooms.findIndex((r) => r.id === id);
  if (i < 0) return rooms;
  const next = fn(rooms[i]);
  if (next === rooms[i]) return rooms;
  const out = [...rooms];
  out[i] = next;
  return out;
}

function applyReady(rooms: Room[], states: ReadState[]): Room[] {
  const by = new Map(states.map((s) => [s.room_id, s]));
  let changed = false;
  const out = rooms.map((r) => {
    const s = by.get(r.id);
    if (!s) return r;
    changed = true;
    return { ...r, ...mergeStanding(r, s) };
  });
  return changed ? out : rooms;
}

/**
 * How many mentions a room has after the read pointer moved, when the
 * server did not say: none once nothing is unread, never more than unread.
 */
function mentionsAfterRead(r: Room, unread: number | undefined, said: number | undefined): number | undefined {
  if (typeof said === 'number') return said;
  if (r.mention_count === undefined) return undefined;
  if (!unread) return 0;
  return Math.min(r.mention_count, unread);
}

function applyEvent(rooms: Room[], ev: ServerEvent, me: number, reading: number | null): Room[] {
  if (isChange(ev)) {
    return update(rooms, ev.room_id, (r) => (ev.seq > (r.last_seq ?? 0) ? { ...r, last_seq: ev.seq } : r));
  }
  switch (ev.type) {
    case 'message':
      return update(rooms, ev.room_id, (r) => {
        if (ev.seq <= (r.last_seq ?? 0)) return r;
        const counts = ev.user_id !== me && ev.room_id !== reading && ev.seq > (r.last_read_seq ?? 0);
        const next = { ...r, last_seq: ev.seq, unread_count: (r.unread_count ?? 0) + (counts ? 1 : 0) };
        if (counts && !ev.deleted && ev.mentions?.includes(me)) next.mention_count = (r.mention_count ?? 0) + 1;
        return next;
      });
    case 'read':
      return update(rooms, ev.room_id, (r) => {
        // Pointers never move back: an older move that arrives late changes nothing.
        if (ev.last_read_seq < (r.last_read_seq ?? 0)) return r;
        const next = { ...r, last_read_seq: ev.last_read_seq, unread_count: ev.unread_count, last_seq: Math.max(r.last_seq ?? 0, ev.last_read_seq) };
        const mentions = mentionsAfterRead(r, ev.unread_count, ev.mention_count);
        if (mentions !== undefined) next.mention_count = mentions;
        return next;
      });
    case 'ready':
      return Array.isArray(ev.rooms) ? applyReady(rooms, ev.rooms) : rooms;
    case 'room_created':
      // The creator also hears room_added, perhaps first: never undo it.
      if (!ev.room || rooms.some((r) => r.id === ev.room_id)) return rooms;
      return [...rooms, { ...ev.room, id: ev.room_id, is_member: ev.room.is_member ?? false }];
    case 'room_added': {
      if (!ev.room) return rooms;
      const added: Room = { ...ev.room, id: ev.room_id, is_member: true };
      const i = rooms.findIndex((r) => r.id === ev.room_id);
      if (i < 0) return [...rooms, added];
      return update(rooms, ev.room_id, (r) => ({ ...r, ...added, ...mergeStanding(r, added) }));
    }
    case 'room_removed': {
      const r = rooms.find((x) => x.id === ev.room_id);
      if (!r) return rooms;
      // A public room stays on offer to join again; a private or deleted one is gone.
      if (ev.deleted || ev.reason === 'deleted' || r.is_private) return rooms.filter((x) => x.id !== ev.room_id);
      return update(rooms, ev.room_id, (x) => ({ ...x, is_member: false, last_read_seq: 0, unread_count: 0, ...noMentions(x) }));
    }
    case 'room_updated':
      return applyRoomUpdate(rooms, ev);
    default:
      return rooms;
  }
}

export function roomListReducer(rooms: Room[], a: RoomListAction): Room[] {
  switch (a.type) {
    case 'list': {
      const known = new Map(rooms.map((r) => [r.id, r]));
      return a.rooms.map((r) => {
        const local = known.get(r.id);
        return local ? { ...r, ...mergeStanding(local, r) } : r;
      });
    }
    case 'upsert':
      return rooms.some((r) => r.id === a.room.id) ? replaceRoom(rooms, a.room) : [...rooms, a.room];
    case 'membership':
      return update(rooms, a.roomId, (r) => {
        if (r.is_member === a.member) return r;
        // Joined here: the pointer listed for a non-member means nothing;
        // room_added (or the next GET /rooms) brings the real one.
        if (a.member) return { ...r, is_member: true, last_read_seq: undefined, unread_count: undefined, mention_count: undefined };
        return { ...r, is_member: false, unread_count: 0, ...noMentions(r) };
      });
    case 'read_local':
      return update(rooms, a.roomId, (r) => {
        if (a.seq <= (r.last_read_seq ?? 0)) return r;
        const all = a.seq >= (r.last_seq ?? 0);
        const next = { ...r, last_read_seq: a.seq, unread_count: all ? 0 : r.unread_count };
        if (all && r.mention_count) next.mention_count = 0;
        return next;
      });
    case 'event':
      return applyEvent(rooms, a.event, a.me, a.reading);
  }
}

/** Unread messages over the given rooms. */
export function totalUnread(rooms: readonly Room[]): number {
  return rooms.reduce((n, r) => n + Math.max(0, r.unread_count ?? 0), 0);
}

/** The tab title: "(3) Chat" while anything is unread. */
export function titleWithUnread(base: string, unread: number): string {
  return unread > 0 ? `(${unread}) ${base}` : base;
}
