// Which public rooms this user has joined. The room list (GET /rooms) does
// not say, so the client remembers joins it made or saw work, per user, and
// forgets a room when the server refuses it. Private rooms in the list are
// always the user's; a server that sends `is_member` is believed.
import type { RemovalReason, Room } from '../api/types';

const key = (userId: number) => `chat.joined.${userId}`;

export function loadJoined(userId: number): Set<number> {
  try {
    const v = JSON.parse(localStorage.getItem(key(userId)) ?? '[]');
    return new Set(Array.isArray(v) ? v.filter((x) => typeof x === 'number') : []);
  } catch {
    return new Set();
  }
}

export function saveJoined(userId: number, ids: Set<number>): void {
  try {
    localStorage.setItem(key(userId), JSON.stringify([...ids]));
  } catch {
    /* storage full or disabled */
  }
}

export function isMine(room: Room, userId: number, joined: Set<number>): boolean {
  if (typeof room.is_member === 'boolean') return room.is_member;
  return room.is_private || room.owner_id === userId || joined.has(room.id);
}

/**
 * What to tell the user whose open room went away (room_removed): by the
 * server's reason; a server that gives none only says whether the room was
 * deleted.
 */
export function removalText(reason: RemovalReason | undefined, deleted: boolean, name: string): string {
  switch (reason ?? (deleted ? 'deleted' : 'removed')) {
    case 'left':
      return `You left ${name}.`;
    case 'deleted':
      return `${name} was deleted.`;
    default:
      return `You were removed from ${name}.`;
  }
}
