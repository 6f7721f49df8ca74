// The composer's @mention autocomplete: what is being typed after an "@",
// which members match it, and the text once one is picked. Pure, so the
// rules are unit-tested; they follow the server's (message.MentionNames):
// a name starts after "@" at the start of the text or after a character
// that cannot be part of a name, and runs over a–z, 0–9, '_', '.' and '-'.

import type { Member } from '../api/types';

/** How many members the list offers at most. */
export const MENTION_CHOICES = 8;

const NAME_CHAR = /[A-Za-z0-9_.-]/;

/** The "@name" being typed at the caret: where its "@" is and what follows it; null when none is. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  let i = caret;
  while (i > 0 && NAME_CHAR.test(text[i - 1])) i--;
  if (i === 0 || text[i - 1] !== '@') return null;
  const at = i - 1;
  if (at > 0 && NAME_CHAR.test(text[at - 1])) return null; // an e-mail address, not a mention
  return { start: at, query: text.slice(i, caret) };
}

/**
 * Members whose username or display name (or a word of it) starts with the
 * query, case-insensitively, never the user: usernames that match first,
 * then by name.
 */
export function matchMembers(members: readonly Member[], query: string, me: number, limit = MENTION_CHOICES): Member[] {
  const q = query.toLowerCase();
  const rank = (m: Member) => {
    if (m.username.toLowerCase().startsWith(q)) return 0;
    const d = (m.display_name ?? '').toLowerCase();
    if (d.startsWith(q) || d.split(/\s+/).some((w) => w.startsWith(q))) return 1;
    return -1;
  };
  return members
    .filter((m) => m.id !== me)
    .map((m) => ({ m, r: rank(m) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.m.username.localeCompare(b.m.username))
    .slice(0, limit)
    .map((x) => x.m);
}

/** The text with the "@query" at start (up to the caret) replaced by "@username ", and where the caret goes. */
export function insertMention(text: string, start: number, caret: number, username: string): { text: string; caret: number } {
  const mention = `@${username} `;
  const rest = text.slice(caret).replace(/^ /, '');
  return { text: text.slice(0, start) + mention + rest, caret: start + mention.length };
}

/** The usernames of the mentioned members that are known (to mark "@name" in the text). */
export function mentionedNames(ids: readonly number[] | undefined, people: ReadonlyMap<number, { username: string }>): string[] {
  if (!ids || !ids.length) return [];
  const out: string[] = [];
  for (const id of ids) {
    const p = people.get(id);
    if (p) out.push(p.username);
  }
  return out;
}
