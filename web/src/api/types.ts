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
}

/** Where the caller stands in a room (ready, POST /rooms/{id}/read). */
export interface ReadState {
  room_id: number;
  last_seq: number;
  last_read_seq: number;
  unread_count: number;
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
  | { type: 'read'; room_id: number; last_read_seq: number; unread_count: number }
  | { type: 'read_receipt'; room_id: number; user_id: number; seq: number }
  | { type: 'presence'; user_id: number; username: string; online: boolean };

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
