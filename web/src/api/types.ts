// Shapes of the chat server's wire contract (docs: shared DESIGN.md).

export interface User {
  id: number;
  username: string;
  display_name?: string | null;
  bio?: string | null;
  avatar_url?: string | null;
  created_at?: string;
  /** Whether other members see this user's read pointer (GET/PATCH /users/me only; absent: shared). */
  read_receipts?: boolean;
  /** Present (true) on the user's own profile when the user is an administrator. */
  is_admin?: boolean;
}

/** A user as administrators see it (GET /admin/users). */
export interface Account {
  id: number;
  username: string;
  display_name: string;
  email: string;
  is_admin: boolean;
  suspended: boolean;
  suspended_at: string | null;
  suspend_reason: string;
  created_at: string;
}

/** One page of GET /admin/users; next_after is the next page's after, null on the last. */
export interface AccountPage {
  users: Account[];
  next_after: number | null;
}

export interface Room {
  id: number;
  name: string;
  description?: string | null;
  is_private: boolean;
  owner_id?: number;
  created_at?: string;
  /** GET /rooms and room_added: whether the caller is a member. */
  is_member?: boolean;
  /** GET /rooms, ready and room_added: the seq of the room's newest message (0: none). */
  last_seq?: number;
  /** GET /rooms, ready and room_added: the caller's read pointer. */
  last_read_seq?: number;
  /** GET /rooms, ready and room_added: messages of others after the read pointer. */
  unread_count?: number;
  /** GET /rooms and ready: messages after the read pointer that mention the caller. */
  mention_count?: number;
  /** dm: a direct conversation (POST /dms), listed apart; its name is its people's usernames. Absent: a room. */
  kind?: 'room' | 'dm';
  /** Seconds after sending during which authors may edit; 0 or absent: no limit. */
  edit_window?: number;
}

export interface Member {
  id: number;
  username: string;
  display_name?: string | null;
  avatar_url?: string | null;
  /** Only when the server gives it (GET /rooms/{id}/members does not). */
  bio?: string | null;
  online: boolean;
  /** The member's read pointer; absent when the member hides read receipts. */
  last_read_seq?: number;
}

export interface Message {
  id: number;
  room_id: number;
  seq: number;
  user_id: number;
  username: string;
  content: string;
  created_at: string;
  client_id?: string;
  /** Present once edited. */
  edited_at?: string;
  /** A tombstone: content is empty, and mentions, reactions and files are gone. */
  deleted?: boolean;
  /** A reply: its parent as it now is. */
  reply_to?: Quote;
  /** The ids of the members the text mentions. */
  mentions?: number[];
  /** In the order first added. */
  reactions?: Reaction[];
  /** Attached files, links signed for the reader. */
  files?: FileItem[];
}

/** What a reply shows of its parent: its current state, the text cut to 140 characters. */
export interface Quote {
  id: number;
  seq: number;
  user_id: number;
  username: string;
  /** Empty when deleted. */
  content: string;
  deleted: boolean;
}

/** One emoji on a message: how many reacted with it, and (up to 100 of) who, in order. */
export interface Reaction {
  emoji: string;
  count: number;
  user_ids: number[];
}

/** An earlier text of an edited message (GET …/versions). */
export interface MessageVersion {
  content: string;
  /** When this text was written. */
  at: string;
}

/** A message its author asked to be sent later (GET /scheduled, 202 from POST …/messages). */
export interface ScheduledMessage {
  id: number;
  room_id: number;
  content: string;
  reply_to?: number;
  send_at: string;
  created_at: string;
}

/** Where the caller stands in a room (ready, POST /rooms/{id}/read). */
export interface ReadState {
  room_id: number;
  last_seq: number;
  last_read_seq: number;
  unread_count: number;
  /** Messages after the read pointer that mention the caller (servers before it: absent). */
  mention_count?: number;
}

/** A shared file as the client keeps it (from the list, an upload, or events). */
export interface FileItem {
  id: number;
  room_id?: number;
  user_id?: number;
  filename: string;
  content_type: string;
  size: number;
  file_url: string;
  thumbnail_url?: string | null;
  /** "pending" | "ready" | "failed" | "none" when the server says; failed or none means no preview. */
  thumbnail_status?: string;
  created_at?: string;
  /** Seq of the newest message seen when the file arrived live: where it sits in the timeline. */
  anchor_seq?: number;
}

/** A piece of a search hit's snippet; match: what the search matched (shown highlighted). */
export interface Fragment {
  text: string;
  match: boolean;
}

/** One message a search found (GET /search): the message as history gives it, and its text around the first match. */
export interface SearchHit {
  message: Message;
  snippet: Fragment[];
}

/** A page of search hits, newest first; next_before (present only when the page is full) asks for the next. */
export interface SearchResult {
  hits: SearchHit[];
  next_before?: number;
}

/** A room invite link's code (POST and GET /rooms/{id}/invites). */
export interface Invite {
  code: string;
  room_id: number;
  created_by: number;
  created_at: string;
  expires_at: string;
}

/** What an invite code opens (GET /invites/{code}). */
export interface InviteInfo {
  code: string;
  room: { id: number; name: string; description?: string | null; is_private: boolean };
  expires_at: string;
  is_member: boolean;
}

/** Why the user's membership of a room ended (room_removed, member_left). */
export type RemovalReason = 'left' | 'removed' | 'deleted';

export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export type ServerEvent =
  /** duplicate: the answer to a re-sent client_id, to its sender alone. */
  | ({ type: 'message'; duplicate?: boolean } & Message)
  | { type: 'typing'; room_id: number; user_id: number; username: string }
  | { type: 'user_joined'; room_id: number; user_id: number; username: string }
  | { type: 'user_left'; room_id: number; user_id: number; username: string }
  | {
      type: 'file_shared';
      room_id: number;
      user_id: number;
      file_id: number;
      file_url: string;
      filename: string;
      content_type: string;
      size: number;
      thumbnail_url?: string | null;
      thumbnail_status?: string;
      created_at?: string;
    }
  | { type: 'file_updated'; room_id?: number; file_id: number; thumbnail_url?: string | null; file_url?: string; thumbnail_status?: string }
  | { type: 'room_updated'; room_id: number; name: string; description: string; is_private: boolean; owner_id: number }
  // Changes of stored messages: each takes the room's next seq, like a message.
  | { type: 'message_edited'; room_id: number; seq: number; message_id: number; user_id: number; content: string; mentions?: number[] | null; edited_at: string }
  | { type: 'message_deleted'; room_id: number; seq: number; message_id: number; user_id: number; deleted_at?: string }
  | { type: 'reaction_added'; room_id: number; seq: number; message_id: number; user_id: number; username: string; emoji: string; count: number }
  | { type: 'reaction_removed'; room_id: number; seq: number; message_id: number; user_id: number; username: string; emoji: string; count: number }
  | { type: 'error'; code: string; detail: string; retry_after?: number; room_id?: number }
  // The user stream's own events (GET /ws).
  | { type: 'ready'; rooms: ReadState[] }
  | { type: 'room_created'; room_id: number; room: Room }
  | { type: 'room_added'; room_id: number; room: Room }
  /** reason: absent from servers before it was added; deleted stays for them. */
  | { type: 'room_removed'; room_id: number; deleted: boolean; reason?: RemovalReason }
  /** A user became a member of the room (joined, was added, created it). */
  | { type: 'member_joined'; room_id: number; user_id: number; username: string }
  /** A user's membership ended; to the remaining members. */
  | { type: 'member_left'; room_id: number; user_id: number; username: string; reason?: RemovalReason }
  /** Someone who shares a room with the user (or the user) changed name or avatar. */
  | { type: 'user_updated'; user_id: number; username: string; display_name?: string | null; avatar_url?: string | null }
  | { type: 'read'; room_id: number; last_read_seq: number; unread_count: number; mention_count?: number }
  | { type: 'read_receipt'; room_id: number; user_id: number; seq: number }
  | { type: 'presence'; user_id: number; username: string; online: boolean };

/** A change of a stored message (edit, delete, reaction): it has a seq of the room's stream. */
export type ChangeEvent = Extract<ServerEvent, { type: 'message_edited' | 'message_deleted' | 'reaction_added' | 'reaction_removed' }>;

const CHANGE_TYPES: ReadonlySet<string> = new Set(['message_edited', 'message_deleted', 'reaction_added', 'reaction_removed']);

/** Whether ev is a change of a stored message. */
export function isChange(ev: ServerEvent): ev is ChangeEvent {
  return CHANGE_TYPES.has(ev.type);
}

/** The seq of a message or change event (they share the room's one stream); null for any other event. */
export function seqOf(ev: ServerEvent): number | null {
  if (ev.type === 'message' || isChange(ev)) return typeof ev.seq === 'number' && Number.isFinite(ev.seq) ? ev.seq : null;
  return null;
}

/** Parses one socket frame; unknown or malformed frames give null. */
export function parseEvent(data: unknown): ServerEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const v = JSON.parse(data);
    if (v && typeof v === 'object' && typeof v.type === 'string') return v as ServerEvent;
  } catch {
    /* a malformed frame is ignored */
  }
  return null;
}
