// Direct conversations (rooms of kind "dm"): listed apart from rooms, named
// by the other people in them. The server names one by all its people's
// usernames joined by ", "; the client drops the reader's own.

import type { Room } from '../api/types';

/** At most this many others in a direct conversation (the server's limit). */
export const DIRECT_MAX = 7;

export function isDirect(room: Pick<Room, 'kind'> | undefined): boolean {
  return room?.kind === 'dm';
}

/** What a direct conversation is called for the user: the others' usernames. */
export function directName(name: string, myUsername: string): string {
  const me = myUsername.toLowerCase();
  const others = name
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n && n.toLowerCase() !== me);
  return others.length ? others.join(', ') : name;
}

/** The rooms with every direct conversation named for the user; the list itself when there is none. */
export function withDirectNames(rooms: Room[], myUsername: string): Room[] {
  if (!rooms.some(isDirect)) return rooms;
  return rooms.map((r) => (isDirect(r) ? { ...r, name: directName(r.name, myUsername) } : r));
}

/**
 * The usernames typed for a new conversation ("ann, @bob"): trimmed,
 * without "@", each once; an error when there are none, too many, or only
 * the user.
 */
export function parseUsernames(input: string, myUsername: string): { names: string[]; error: string | null } {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const raw of input.split(/[,\s]+/)) {
    const n = raw.trim().replace(/^@/, '');
    const key = n.toLowerCase();
    if (!n || key === myUsername.toLowerCase() || seen.has(key)) continue;
    seen.add(key);
    names.push(n);
  }
  if (names.length === 0) return { names, error: 'Enter the username of someone else.' };
  if (names.length > DIRECT_MAX) return { names, error: `A conversation has at most ${DIRECT_MAX} other people.` };
  return { names, error: null };
}
