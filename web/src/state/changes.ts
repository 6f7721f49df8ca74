// How the changes of stored messages (edits, deletions, reactions) apply to
// the messages a client holds. Pure and idempotent: a resume replays
// changes, and a history page already shows each message in its current
// state, so a change applied twice, or to a message that already shows it,
// leaves the message as it was (the same object, so its row does not
// render again).

import type { ChangeEvent, Message, Quote, Reaction } from '../api/types';

/** Runes of a parent's text a reply quotes (the server's message.QuoteMax). */
export const QUOTE_MAX = 140;

/** The text a quote shows: cut to QUOTE_MAX runes, with an ellipsis when cut (as the server cuts it). */
export function cutQuote(s: string): string {
  const runes = [...s];
  if (runes.length <= QUOTE_MAX) return s;
  return runes.slice(0, QUOTE_MAX - 1).join('').trim() + '…';
}

function sameIds(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * The reactions after one member added (add) or took back an emoji; count
 * is how many have it after the change, as the server counted. The list
 * itself when nothing changes; undefined when none are left.
 */
export function withReaction(list: readonly Reaction[] | undefined, emoji: string, userId: number, count: number, add: boolean): Reaction[] | undefined {
  const rs = list ?? [];
  const i = rs.findIndex((r) => r.emoji === emoji);
  if (add) {
    if (i < 0) return [...rs, { emoji, count: Math.max(count, 1), user_ids: [userId] }];
    const r = rs[i];
    const ids = r.user_ids.includes(userId) ? r.user_ids : [...r.user_ids, userId];
    const n = Math.max(count, 1);
    if (ids === r.user_ids && r.count === n) return list as Reaction[];
    return rs.map((x, j) => (j === i ? { ...r, count: n, user_ids: ids } : x));
  }
  if (i < 0) return list as Reaction[] | undefined;
  const r = rs[i];
  if (count <= 0) {
    const rest = rs.filter((_, j) => j !== i);
    return rest.length ? rest : undefined;
  }
  const ids = r.user_ids.filter((id) => id !== userId);
  if (ids.length === r.user_ids.length && r.count === count) return list as Reaction[];
  return rs.map((x, j) => (j === i ? { ...r, count, user_ids: ids } : x));
}

/** The message after the change; the message itself when the change is not about it or shows already. */
export function applyChange(m: Message, ev: ChangeEvent): Message {
  if (ev.message_id !== m.id || m.deleted) return m;
  switch (ev.type) {
    case 'message_edited': {
      // A replayed edit of a message deleted since carries no text: the deletion follows.
      if (!ev.content) return m;
      const mentions = ev.mentions && ev.mentions.length ? ev.mentions : undefined;
      if (m.content === ev.content && m.edited_at === ev.edited_at && sameIds(m.mentions, mentions)) return m;
      return { ...m, content: ev.content, mentions, edited_at: ev.edited_at || m.edited_at };
    }
    case 'message_deleted':
      return { ...m, content: '', deleted: true, mentions: undefined, reactions: undefined, files: undefined };
    case 'reaction_added':
    case 'reaction_removed': {
      const reactions = withReaction(m.reactions, ev.emoji, ev.user_id, ev.count, ev.type === 'reaction_added');
      return reactions === m.reactions ? m : { ...m, reactions };
    }
  }
}

/** A reply's quote after its parent was edited or deleted; the quote itself when nothing changes. */
export function quoteAfter(q: Quote, ev: ChangeEvent): Quote {
  if (q.id !== ev.message_id || q.deleted) return q;
  if (ev.type === 'message_deleted') return { ...q, content: '', deleted: true };
  if (ev.type === 'message_edited' && ev.content) {
    const content = cutQuote(ev.content);
    return content === q.content ? q : { ...q, content };
  }
  return q;
}

/**
 * Applies a change to a list of messages (ascending by seq): the message it
 * is about, and the quotes of replies to it. found: the message is in the
 * list. The list itself when nothing changes.
 */
export function applyToList(list: readonly Message[], ev: ChangeEvent): { messages: Message[]; found: boolean } {
  let out: Message[] | null = null;
  let found = false;
  // Changes are mostly about recent messages: look from the end.
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i].id !== ev.message_id) continue;
    found = true;
    const next = applyChange(list[i], ev);
    if (next !== list[i]) (out ??= list.slice())[i] = next;
    break;
  }
  if (ev.type === 'message_edited' || ev.type === 'message_deleted') {
    for (let i = 0; i < list.length; i++) {
      const q = list[i].reply_to;
      if (!q || q.id !== ev.message_id) continue;
      const nq = quoteAfter(q, ev);
      if (nq !== q) {
        out ??= list.slice();
        out[i] = { ...out[i], reply_to: nq };
      }
    }
  }
  return { messages: out ?? (list as Message[]), found };
}

/** Whether the message mentions the user. */
export function mentionsUser(m: Pick<Message, 'mentions' | 'deleted'>, userId: number): boolean {
  return !m.deleted && !!m.mentions && m.mentions.includes(userId);
}

/**
 * Whether the user may still edit the message: their own, not deleted, and
 * within the room's edit window (seconds; 0 or absent: no limit).
 */
export function canEdit(m: Message, me: number, editWindow: number | undefined, now: number): boolean {
  if (m.user_id !== me || m.deleted) return false;
  if (!editWindow || editWindow <= 0) return true;
  const t = Date.parse(m.created_at);
  return Number.isNaN(t) || now < t + editWindow * 1000;
}

/** Whether the user may delete the message: their own, anyone's in a room they own, or any for an administrator. */
export function canDelete(m: Message, me: number, ownerId: number | undefined, admin = false): boolean {
  return !m.deleted && (m.user_id === me || ownerId === me || admin);
}

/** The last message of the user's that is not deleted (what Up arrow in an empty composer edits). */
export function lastOwn(list: readonly Message[], me: number): Message | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i].user_id === me && !list[i].deleted) return list[i];
  return undefined;
}
