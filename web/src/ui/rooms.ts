// Keeping the room list in step with room_updated events.
import type { Room, ServerEvent } from '../api/types';

export type RoomUpdate = Extract<ServerEvent, { type: 'room_updated' }>;

/** The list with the updated room's settings applied; the list itself when nothing changes. */
export function applyRoomUpdate(rooms: Room[], ev: RoomUpdate): Room[] {
  const i = rooms.findIndex((r) => r.id === ev.room_id);
  if (i < 0) return rooms;
  const r = rooms[i];
  if (r.name === ev.name && (r.description ?? '') === ev.description && r.is_private === ev.is_private && r.owner_id === ev.owner_id) return rooms;
  const next = [...rooms];
  next[i] = { ...r, name: ev.name, description: ev.description, is_private: ev.is_private, owner_id: ev.owner_id };
  return next;
}

/** Replaces a room with the server's copy (after a PATCH or a transfer), keeping list-only fields. */
export function replaceRoom(rooms: Room[], room: Room): Room[] {
  return rooms.map((r) => (r.id === room.id ? { ...r, ...room, is_member: room.is_member ?? r.is_member } : r));
}
