// Turns a room's messages, files and pending sends into what the chat view
// draws: day separators, the "New messages" divider and runs of entries by
// one sender.

import type { FileItem, Message } from '../api/types';
import type { Pending } from './pending';

export type Entry =
  | { kind: 'message'; key: string; time: number; message: Message }
  | { kind: 'file'; key: string; time: number; file: FileItem }
  | { kind: 'pending'; key: string; time: number; pending: Pending };

export interface Group {
  kind: 'group';
  key: string;
  userId: number;
  username: string;
  entries: Entry[];
}

export interface DaySeparator {
  kind: 'day';
  key: string;
  /** Local calendar day, YYYY-MM-DD. */
  day: string;
  time: number;
}

/** "New messages": above the first message the user had not read when the room opened. */
export interface NewDivider {
  kind: 'new';
  key: string;
}

export type TimelineItem = Group | DaySeparator | NewDivider;

/** A new group starts after this much silence from the same sender. */
export const GROUP_GAP_MS = 5 * 60 * 1000;

export function dayKey(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function parseTime(s: string | undefined): number | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

export interface TimelineInput {
  messages: readonly Message[];
  files: readonly FileItem[];
  pending: readonly Pending[];
  hasMore: boolean;
  me: { id: number; username: string };
  now: number;
  /** The seq of the message the "New messages" divider goes above (see state/reading). */
  dividerSeq?: number | null;
}

/**
 * Orders everything: messages by seq; a file right after the message that
 * was newest when it arrived live (anchor_seq), or else by its created_at;
 * pending sends last. Files older than the loaded history wait until the
 * history reaches them.
 */
export function buildEntries(inp: TimelineInput): Entry[] {
  const keyed: { k: number; tie: number; e: Entry }[] = [];
  const ackedClientIds = new Set<string>();
  for (const m of inp.messages) {
    if (m.client_id && m.user_id === inp.me.id) ackedClientIds.add(m.client_id);
    keyed.push({ k: m.seq, tie: 0, e: { kind: 'message', key: `m${m.id}`, time: parseTime(m.created_at) ?? inp.now, message: m } });
  }
  const times = inp.messages.map((m) => parseTime(m.created_at) ?? 0);
  for (const f of inp.files) {
    let k: number | null = null;
    let time = parseTime(f.created_at);
    if (f.anchor_seq !== undefined) {
      k = f.anchor_seq + 0.5;
    } else if (time !== null) {
      // last message at or before the file's time
      let lo = 0;
      let hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid] <= time) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) {
        if (inp.hasMore) continue;
        k = 0.5;
      } else k = inp.messages[lo - 1].seq + 0.5;
    } else {
      k = (inp.messages.length ? inp.messages[inp.messages.length - 1].seq : 0) + 0.5;
    }
    keyed.push({ k, tie: f.id, e: { kind: 'file', key: `f${f.id}`, time: time ?? NaN, file: f } });
  }
  keyed.sort((a, b) => a.k - b.k || a.tie - b.tie);
  const out = keyed.map((x) => x.e);
  // Files without a time take their neighbour's, so they land in the right day.
  let last = out.length ? NaN : inp.now;
  for (const e of out) {
    if (Number.isNaN(e.time)) e.time = Number.isNaN(last) ? inp.now : last;
    last = e.time;
  }
  for (const p of inp.pending) {
    if (ackedClientIds.has(p.client_id)) continue;
    out.push({ kind: 'pending', key: `p${p.client_id}`, time: p.created || inp.now, pending: p });
  }
  return out;
}

function sender(e: Entry, me: { id: number; username: string }): { id: number; name: string } {
  switch (e.kind) {
    case 'message':
      return { id: e.message.user_id, name: e.message.username };
    case 'file':
      return { id: e.file.user_id ?? -1, name: '' };
    case 'pending':
      return { id: me.id, name: me.username };
  }
}

export function groupEntries(entries: readonly Entry[], me: { id: number; username: string }, dividerSeq: number | null = null): TimelineItem[] {
  const out: TimelineItem[] = [];
  let day = '';
  let group: Group | null = null;
  let lastTime = 0;
  for (const e of entries) {
    const d = dayKey(e.time);
    if (d !== day) {
      day = d;
      out.push({ kind: 'day', key: `d${d}`, day: d, time: e.time });
      group = null;
    }
    if (e.kind === 'message' && e.message.seq === dividerSeq) {
      // The divider splits a run: what follows it starts a group of its own.
      out.push({ kind: 'new', key: 'new' });
      group = null;
    }
    const s = sender(e, me);
    if (!group || group.userId !== s.id || e.time - lastTime > GROUP_GAP_MS) {
      group = { kind: 'group', key: `g${e.key}`, userId: s.id, username: s.name, entries: [] };
      out.push(group);
    }
    if (!group.username && s.name) group.username = s.name;
    group.entries.push(e);
    lastTime = e.time;
  }
  return out;
}

export function buildTimeline(inp: TimelineInput): TimelineItem[] {
  return groupEntries(buildEntries(inp), inp.me, inp.dividerSeq ?? null);
}
