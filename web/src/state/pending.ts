// The pending queue: messages typed but not yet acknowledged by the server.
// Pure functions over an immutable array; the user stream owns the current
// value, one queue per room.
//
// A message stays here from the moment it is typed until a `message` event
// with its client_id comes back from this user. It is (re)sent on every
// socket open, which is safe because the server keeps one copy per
// (sender, room, client_id).

import type { FileItem, Quote } from '../api/types';

/** What a message carries besides its text: the message it answers, the files attached. */
export interface Extras {
  reply_to?: number;
  file_ids?: number[];
  /** What the reply quotes, shown while it waits (the server's copy brings its own). */
  quote?: Quote;
  /** The attached files, shown while it waits. */
  files?: FileItem[];
}

export interface Pending extends Extras {
  client_id: string;
  content: string;
  /** Client clock, ms; for display only. */
  created: number;
  /** True once written to an open socket (it may still be lost and resent). */
  sent: boolean;
}

export function newClientId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  // Insecure contexts (plain http on a LAN address) lack randomUUID.
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function enqueue(q: readonly Pending[], p: Pending): Pending[] {
  if (q.some((x) => x.client_id === p.client_id)) return q.slice();
  return [...q, p];
}

/** Removes the entry the server acknowledged; returns the same array when nothing matched. */
export function ack(q: readonly Pending[], clientId: string | undefined): readonly Pending[] {
  if (!clientId) return q;
  const i = q.findIndex((x) => x.client_id === clientId);
  if (i < 0) return q;
  return [...q.slice(0, i), ...q.slice(i + 1)];
}

export function markSent(q: readonly Pending[], clientIds: ReadonlySet<string>): Pending[] {
  return q.map((x) => (clientIds.has(x.client_id) && !x.sent ? { ...x, sent: true } : x));
}

/** After a socket closes nothing is known to be delivered: everything goes out again on the next open. */
export function markUnsent(q: readonly Pending[]): Pending[] {
  return q.map((x) => (x.sent ? { ...x, sent: false } : x));
}

/** The user stream's frame for one pending message of a room. */
export function frame(p: Pending, roomId: number): string {
  const f: Record<string, unknown> = { type: 'message', room_id: roomId, content: p.content, client_id: p.client_id };
  if (p.reply_to) f.reply_to = p.reply_to;
  if (p.file_ids && p.file_ids.length) f.file_ids = p.file_ids;
  return JSON.stringify(f);
}

const isId = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;

/** The extras of a stored entry that are well-formed; anything else is dropped. */
function restoreExtras(x: Record<string, unknown>): Extras {
  const out: Extras = {};
  if (isId(x.reply_to)) out.reply_to = x.reply_to;
  if (Array.isArray(x.file_ids) && x.file_ids.length && x.file_ids.every(isId)) out.file_ids = x.file_ids;
  const q = x.quote as Quote | undefined;
  if (out.reply_to && q && typeof q === 'object' && q.id === out.reply_to && typeof q.username === 'string' && typeof q.content === 'string') out.quote = q;
  if (out.file_ids && Array.isArray(x.files) && x.files.every((f) => f && typeof f === 'object' && isId((f as FileItem).id) && typeof (f as FileItem).filename === 'string')) {
    out.files = x.files as FileItem[];
  }
  return out;
}

/** Content rules the server enforces (trimmed, 1..4000 characters); null when valid. */
export function validateContent(s: string): string | null {
  const t = s.trim();
  if (!t) return 'Message is empty.';
  if ([...t].length > 4000) return 'Message is longer than 4000 characters.';
  return null;
}

/** Restores a stored queue, dropping anything malformed. */
export function restore(raw: string | null): Pending[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw);
    if (!Array.isArray(v)) return [];
    return v
      .filter((x) => x && typeof x.client_id === 'string' && typeof x.content === 'string')
      .map((x) => ({ client_id: x.client_id, content: x.content, created: Number(x.created) || 0, sent: false, ...restoreExtras(x) }));
  } catch {
    return [];
  }
}

/** The part of localStorage the queues use. */
export interface QueueStorage {
  readonly length: number;
  key(i: number): string | null;
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
}

const queuePrefix = (userId: number) => `chat.pending.${userId}.`;

/** Every room's stored queue of a user (a reload keeps what was not sent). */
export function loadQueues(storage: QueueStorage, userId: number): Map<number, Pending[]> {
  const out = new Map<number, Pending[]>();
  const prefix = queuePrefix(userId);
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (!k || !k.startsWith(prefix)) continue;
    const roomId = Number(k.slice(prefix.length));
    const q = restore(storage.getItem(k));
    if (Number.isInteger(roomId) && roomId > 0 && q.length) out.set(roomId, q);
  }
  return out;
}

/** Stores a room's queue; an empty one is forgotten. */
export function saveQueue(storage: QueueStorage, userId: number, roomId: number, q: readonly Pending[]): void {
  const k = queuePrefix(userId) + roomId;
  if (q.length) storage.setItem(k, JSON.stringify(q));
  else storage.removeItem(k);
}
