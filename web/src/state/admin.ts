// What the Admin section and the moderation buttons decide: which route a
// deletion or a removal takes (the owner's or author's own, else the
// administrators'), the user list's pages, and how a suspension reads.
import type { Account, Message } from '../api/types';

/** The route that deletes message m for the user: the room's own for its author or the room's owner, the administrators' otherwise. */
export function deletePath(m: Pick<Message, 'room_id' | 'id' | 'user_id'>, me: number, ownerId: number | undefined, admin: boolean): string | null {
  if (m.user_id === me || ownerId === me) return `/rooms/${m.room_id}/messages/${m.id}`;
  if (admin) return `/admin/rooms/${m.room_id}/messages/${m.id}`;
  return null;
}

/**
 * The route that removes member userId from the room for the user, or null
 * when the user may not: the owner removes others (not themselves: they
 * leave), an administrator removes anyone but themselves; nobody removes
 * anyone from a direct conversation.
 */
export function removeMemberPath(roomId: number, userId: number, me: number, ownerId: number | undefined, admin: boolean, direct: boolean): string | null {
  if (direct || userId === me) return null;
  if (ownerId === me) return `/rooms/${roomId}/members/${userId}`;
  if (admin) return `/admin/rooms/${roomId}/members/${userId}`;
  return null;
}

export const PAGE_SIZE = 50;

/** GET /admin/users for a search (trimmed) after an id. */
export function accountsPath(search: string, after = 0, limit = PAGE_SIZE): string {
  const q = new URLSearchParams();
  const s = search.trim();
  if (s) q.set('search', s);
  if (after > 0) q.set('after', String(after));
  q.set('limit', String(limit));
  return `/admin/users?${q}`;
}

/** The list after a page: the page alone when it starts a search, else appended (an account listed twice keeps its newest state). */
export function mergeAccounts(list: readonly Account[], page: readonly Account[], fresh: boolean): Account[] {
  if (fresh) return [...page];
  const byId = new Map(page.map((a) => [a.id, a]));
  const kept = list.filter((a) => !byId.has(a.id));
  return [...kept, ...page].sort((a, b) => a.id - b.id);
}

/** The list with one account's new state (after a suspension or its lifting). */
export function replaceAccount(list: readonly Account[], a: Account): Account[] {
  return list.map((x) => (x.id === a.id ? a : x));
}

/** How an account's status reads: active, or suspended since when and why. */
export function accountStatus(a: Account, formatTime: (iso: string) => string = (iso) => iso.slice(0, 10)): string {
  if (!a.suspended) return 'Active';
  const since = a.suspended_at ? ` since ${formatTime(a.suspended_at)}` : '';
  return a.suspend_reason ? `Suspended${since}: ${a.suspend_reason}` : `Suspended${since}`;
}

/** A suspension's reason as the server takes it: trimmed, at most 500 characters. */
export const REASON_MAX = 500;
export function reasonProblem(reason: string): string | null {
  return [...reason.trim()].length > REASON_MAX ? `A reason has at most ${REASON_MAX} characters.` : null;
}
