// Shapes of the chat server's wire contract (docs: shared DESIGN.md).

export interface User {
  id: number;
  username: string;
  display_name?: string | null;
  bio?: string | null;
  avatar_url?: string | null;
  created_at?: string;
}

export interface Room {
  id: number;
  name: string;
  description?: string | null;
  is_private: boolean;
  owner_id?: number;
  created_at?: string;
  /** Not in the contract yet; used when a server sends it. */
  is_member?: boolean;
}

export interface Member {
  id: number;
  username: string;
  display_name?: string | null;
  avatar_url?: string | null;
  online: boolean;
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

export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export type ServerEvent =
  | ({ type: 'message' } & Message)
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
  | { type: 'error'; code: string; detail: string; retry_after?: number };

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
