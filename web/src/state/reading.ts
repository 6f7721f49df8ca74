// What has been read in a room: where the "New messages" divider goes, and
// who has seen the latest message. Pure, so both rules are unit-tested.

import type { Member, Message } from '../api/types';

/** Where the user stood in the room when it opened; fixed while it stays open. */
export interface ReadMark {
  /** The user's read pointer then. */
  readSeq: number;
  /** The room's newest seq then: later messages arrived while it was open. */
  lastSeq: number;
}

/**
 * The seq of the message the "New messages" divider goes above: the first
 * message from others after the read pointer the room opened with. None
 * while that message is older than the loaded history (it shows once
 * scrolling back reaches it), and none for messages that arrived while the
 * room was open.
 */
export function dividerSeq(messages: readonly Message[], mark: ReadMark | null, me: number, hasMore: boolean): number | null {
  if (!mark || messages.length === 0) return null;
  // Seqs are gap-free: the loaded messages reach back to the pointer when
  // the oldest is right after it, or when there is nothing older.
  if (hasMore && messages[0].seq > mark.readSeq + 1) return null;
  for (const m of messages) {
    if (m.seq <= mark.readSeq) continue;
    if (m.seq > mark.lastSeq) return null;
    if (m.user_id !== me) return m.seq;
  }
  return null;
}

/**
 * Members whose read pointer has reached the latest message, by name; never
 * the user nor the message's author, and never someone who hides receipts
 * (their pointer is unknown).
 */
export function seenBy(members: readonly Member[], latest: Message | undefined, me: number): Member[] {
  if (!latest) return [];
  return members
    .filter((m) => m.id !== me && m.id !== latest.user_id && m.last_read_seq !== undefined && m.last_read_seq >= latest.seq)
    .sort((a, b) => (a.display_name || a.username).localeCompare(b.display_name || b.username));
}
