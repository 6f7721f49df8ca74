// Turns a room's messages, files and pending sends into the rows the chat
// view draws, one row per entry: day separators, the "New messages" divider
// and entries, each marked as the head of a run by one sender or not.
//
// The list is virtualized, so only the rows on screen are rendered; what
// keeps a new message cheap in a long history is that rows keep their
// identity. A RowBuilder remembers the entry and row it made for each
// message, file and pending send (by object identity), so building the rows
// again after one more message hands back the same row objects for
// everything that did not change, and memoized rows skip rendering. Times
// are parsed once per entry and formatted once, on first display.

import type { FileItem, Message } from '../api/types';
import type { Pending } from './pending';

interface EntryBase {
  /** Stable across the entry's life: a sent message keeps the key its pending copy had. */
  key: string;
  /** Milliseconds since the epoch. */
  time: number;
  /** Local calendar day, YYYY-MM-DD. */
  day: string;
}

export type Entry =
  | (EntryBase & { kind: 'message'; message: Message })
  | (EntryBase & { kind: 'file'; file: FileItem })
  | (EntryBase & { kind: 'pending'; pending: Pending });

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

/** One entry; the head of a run by one sender shows who and when. */
export interface EntryRow {
  kind: 'entry';
  key: string;
  entry: Entry;
  head: boolean;
  userId: number;
  /** The sender's username as the run's entries know it ('' when unknown). */
  username: string;
}

export type Row = DaySeparator | NewDivider | EntryRow;

/** A new run starts after this much silence from the same sender. */
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
  /** Ascending by seq (the room state keeps them so). */
  messages: readonly Message[];
  files: readonly FileItem[];
  pending: readonly Pending[];
  hasMore: boolean;
  /**
   * Newer messages exist that the list does not hold (opened at an older
   * message): what belongs after its last message — files shared later,
   * pending sends — waits until the list reaches the end.
   */
  hasNewer?: boolean;
  me: { id: number; username: string };
  now: number;
  /** The seq of the message the "New messages" divider goes above (see state/reading). */
  dividerSeq?: number | null;
}

/** The key of a message or pending send: by client_id when it has one, so sending does not remount the row. */
function messageKey(m: Message): string {
  return m.client_id ? `c${m.user_id}:${m.client_id}` : `m${m.id}`;
}

// Who wrote an entry. Two functions rather than one returning a pair: this
// runs for every entry on every rebuild, and allocates nothing.
function senderId(e: Entry, me: number): number {
  return e.kind === 'message' ? e.message.user_id : e.kind === 'file' ? (e.file.user_id ?? -1) : me;
}

function senderName(e: Entry, me: string): string {
  return e.kind === 'message' ? e.message.username : e.kind === 'file' ? '' : me;
}

const NEW_DIVIDER: NewDivider = { kind: 'new', key: 'new' };

/**
 * Builds rows and remembers what it built. One per open room: its caches
 * hold entries weakly, by the message, file and pending objects they were
 * made from.
 */
export class RowBuilder {
  private readonly entryOf = new WeakMap<object, Entry>();
  private readonly rowOf = new WeakMap<Entry, EntryRow>();
  private readonly days = new Map<string, DaySeparator>();
  private last: Built | null = null;

  private messageEntry(m: Message, now: number): Entry {
    let e = this.entryOf.get(m);
    if (!e) {
      const time = parseTime(m.created_at) ?? now;
      e = { kind: 'message', key: messageKey(m), time, day: dayKey(time), message: m };
      this.entryOf.set(m, e);
    }
    return e;
  }

  private fileEntry(f: FileItem, time: number, fromNeighbour: boolean): Entry {
    // A file without a time of its own borrows one; that may change, so it is not kept.
    if (fromNeighbour) return { kind: 'file', key: `f${f.id}`, time, day: dayKey(time), file: f };
    let e = this.entryOf.get(f);
    if (!e) {
      e = { kind: 'file', key: `f${f.id}`, time, day: dayKey(time), file: f };
      this.entryOf.set(f, e);
    }
    return e;
  }

  private pendingEntry(p: Pending, me: number, now: number): Entry {
    let e = this.entryOf.get(p);
    if (!e) {
      const time = p.created || now;
      e = { kind: 'pending', key: `c${me}:${p.client_id}`, time, day: dayKey(time), pending: p };
      this.entryOf.set(p, e);
    }
    return e;
  }

  /**
   * Orders everything: messages by seq; a file right after the message that
   * was newest when it arrived live (anchor_seq), or else by its created_at;
   * pending sends last. Files older than the loaded history wait until the
   * history reaches them; a file attached to a message shows in it, not on
   * its own.
   */
  entries(inp: TimelineInput): Entry[] {
    const msgs = inp.messages.map((m) => this.messageEntry(m, inp.now));
    const placed: { k: number; id: number; file: FileItem; time: number | null }[] = [];
    const attached = attachedFiles(inp.messages);
    for (const f of inp.files) {
      if (attached.has(f.id)) continue;
      const time = parseTime(f.created_at);
      let k: number;
      if (f.anchor_seq !== undefined) {
        k = f.anchor_seq + 0.5;
      } else if (time !== null) {
        // after the last message at or before the file's time
        let lo = 0;
        let hi = msgs.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (msgs[mid].time <= time) lo = mid + 1;
          else hi = mid;
        }
        if (lo === 0) {
          if (inp.hasMore) continue;
          k = 0.5;
        } else k = inp.messages[lo - 1].seq + 0.5;
      } else {
        k = (inp.messages.length ? inp.messages[inp.messages.length - 1].seq : 0) + 0.5;
      }
      placed.push({ k, id: f.id, file: f, time });
    }
    placed.sort((a, b) => a.k - b.k || a.id - b.id);

    // Merge the (few) files into the (many, ordered) messages.
    const out: Entry[] = [];
    let j = 0;
    let last = NaN;
    const addFile = (p: (typeof placed)[number]) => {
      const t = p.time ?? (Number.isNaN(last) ? inp.now : last);
      const e = this.fileEntry(p.file, t, p.time === null);
      out.push(e);
      last = e.time;
    };
    for (let i = 0; i < msgs.length; i++) {
      const seq = inp.messages[i].seq;
      while (j < placed.length && placed[j].k < seq) addFile(placed[j++]);
      out.push(msgs[i]);
      last = msgs[i].time;
    }
    if (!inp.hasNewer) while (j < placed.length) addFile(placed[j++]);

    if (inp.pending.length && !inp.hasNewer) {
      const acked = new Set<string>();
      for (const m of inp.messages) if (m.client_id && m.user_id === inp.me.id) acked.add(m.client_id);
      for (const p of inp.pending) if (!acked.has(p.client_id)) out.push(this.pendingEntry(p, inp.me.id, inp.now));
    }
    return out;
  }

  private entryRow(entry: Entry, head: boolean, userId: number, username: string): EntryRow {
    const had = this.rowOf.get(entry);
    if (had && had.head === head && had.userId === userId && had.username === username) return had;
    const row: EntryRow = { kind: 'entry', key: entry.key, entry, head, userId, username };
    this.rowOf.set(entry, row);
    return row;
  }

  private daySeparator(day: string, time: number): DaySeparator {
    let d = this.days.get(day);
    if (!d) {
      d = { kind: 'day', key: `d${day}`, day, time };
      this.days.set(day, d);
    }
    return d;
  }

  /** Rows of entries: a separator where the day changes, the divider, and runs by sender. */
  rows(entries: readonly Entry[], me: { id: number; username: string }, dividerSeq: number | null = null): Row[] {
    const out: Row[] = [];
    const run = newRun();
    this.group(out, run, entries, me, dividerSeq);
    this.closeRun(out, run);
    return out;
  }

  /** Adds the rows of entries to out, carrying the run state along. */
  private group(out: Row[], run: RunState, entries: readonly Entry[], me: { id: number; username: string }, dividerSeq: number | null): void {
    for (const e of entries) {
      if (e.day !== run.day) {
        this.closeRun(out, run);
        run.day = e.day;
        out.push(this.daySeparator(e.day, e.time));
      }
      if (e.kind === 'message' && e.message.seq === dividerSeq) {
        // The divider splits a run: what follows it starts one of its own.
        this.closeRun(out, run);
        out.push(NEW_DIVIDER);
      }
      const id = senderId(e, me.id);
      const name = senderName(e, me.username);
      const head = run.start < 0 || run.user !== id || e.time - run.lastTime > GROUP_GAP_MS;
      if (head) {
        this.closeRun(out, run);
        run.start = out.length;
        run.user = id;
        run.name = name;
      } else if (!run.name && name) run.name = name;
      out.push(this.entryRow(e, head, id, name || run.name));
      run.lastTime = e.time;
    }
  }

  /** Ends a run: one that started with a file learns its sender's name from what followed. */
  private closeRun(out: Row[], run: RunState): void {
    if (run.start < 0) return;
    const head = out[run.start] as EntryRow;
    if (head.username !== run.name) out[run.start] = this.entryRow(head.entry, true, run.user, run.name);
    run.start = -1;
  }

  /**
   * The rows for inp. When inp only adds messages after the newest ones of
   * the previous call (a live message, the usual case), the rows before them
   * are taken as they were and only the new ones are grouped: the work does
   * not grow with the history.
   */
  build(inp: TimelineInput): Row[] {
    const divider = inp.dividerSeq ?? null;
    const last = this.last;
    if (last && this.appendsTo(last, inp, divider)) {
      const added = inp.messages.slice(last.inp.messages.length).map((m) => this.messageEntry(m, inp.now));
      const settled = last.settled.concat(added);
      const out = last.rows.slice(0, last.settledRows);
      const run = { ...last.run };
      this.group(out, run, added, inp.me, divider);
      return this.finish(inp, divider, settled, out, run);
    }
    const entries = this.entries(inp);
    const split = entries.findIndex((e) => e.kind === 'pending');
    const settled = split < 0 ? entries : entries.slice(0, split);
    const out: Row[] = [];
    const run = newRun();
    this.group(out, run, settled, inp.me, divider);
    return this.finish(inp, divider, settled, out, run);
  }

  /** Adds the pending sends (always last), and keeps what the next build may start from. */
  private finish(inp: TimelineInput, divider: number | null, settled: Entry[], out: Row[], run: RunState): Row[] {
    const kept: Built = { inp, settled, rows: out, settledRows: out.length, run: { ...run } };
    const pending = this.pendingEntries(inp);
    const rows = pending.length ? out.slice() : out;
    this.group(rows, run, pending, inp.me, divider);
    this.closeRun(rows, run);
    kept.rows = rows;
    this.last = kept;
    return rows;
  }

  private pendingEntries(inp: TimelineInput): Entry[] {
    if (!inp.pending.length || inp.hasNewer) return [];
    const acked = new Set<string>();
    for (const m of inp.messages) if (m.client_id && m.user_id === inp.me.id) acked.add(m.client_id);
    return inp.pending.filter((p) => !acked.has(p.client_id)).map((p) => this.pendingEntry(p, inp.me.id, inp.now));
  }

  /**
   * Whether inp is the last input plus newer messages and nothing else that
   * moves rows: the same files, history edge, divider and user, the old
   * messages untouched at the front, and no file after the last of them (a
   * file placed at the end would belong after the new messages or between).
   */
  private appendsTo(last: Built, inp: TimelineInput, divider: number | null): boolean {
    const before = last.inp.messages;
    const now = inp.messages;
    const tail = last.settled[last.settled.length - 1];
    return (
      inp.files === last.inp.files &&
      inp.hasMore === last.inp.hasMore &&
      !inp.hasNewer === !last.inp.hasNewer &&
      divider === (last.inp.dividerSeq ?? null) &&
      inp.me.id === last.inp.me.id &&
      inp.me.username === last.inp.me.username &&
      before.length > 0 &&
      now.length > before.length &&
      now[0] === before[0] &&
      now[before.length - 1] === before[before.length - 1] &&
      tail !== undefined &&
      tail.kind === 'message' &&
      tail.message === before[before.length - 1] &&
      now[before.length].seq > tail.message.seq &&
      // A message with files takes them out of the timeline's own places.
      !(inp.files.length && now.slice(before.length).some((m) => m.files && m.files.length))
    );
  }
}

/** Where grouping stands: the current day and the open run by one sender. */
interface RunState {
  day: string;
  /** Index in the rows of the run's head; -1 when no run is open. */
  start: number;
  user: number;
  name: string;
  lastTime: number;
}

const newRun = (): RunState => ({ day: '', start: -1, user: NaN, name: '', lastTime: 0 });

/** What a build left for the next one: its input, its entries and rows before the pending sends, and the run state there. */
interface Built {
  inp: TimelineInput;
  settled: Entry[];
  rows: Row[];
  settledRows: number;
  run: RunState;
}

/** The ids of the files attached to messages. */
function attachedFiles(messages: readonly Message[]): Set<number> {
  const out = new Set<number>();
  for (const m of messages) if (m.files) for (const f of m.files) out.add(f.id);
  return out;
}

/** Entries in order, without a cache (see RowBuilder.entries). */
export function buildEntries(inp: TimelineInput): Entry[] {
  return new RowBuilder().entries(inp);
}

/** Rows, without a cache (see RowBuilder.build). */
export function buildTimeline(inp: TimelineInput): Row[] {
  return new RowBuilder().build(inp);
}

/**
 * Where a rebuilt list puts the rows it shares with the one before: the
 * shift of the first entry row the old list had (positive when rows were
 * added above it). 0 when nothing is shared.
 */
export function prependedCount(before: readonly { kind: string; key: string }[], after: readonly { key: string }[]): number {
  const i = before.findIndex((r) => r.kind === 'entry');
  if (i < 0) return 0;
  const key = before[i].key;
  // Rows added above come first in `after`: the search is short for a prepend.
  const j = after.findIndex((r) => r.key === key);
  return j < 0 ? 0 : j - i;
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/** How an entry's time is shown: formatted once, the first time it is asked for. */
export interface Stamp {
  /** "14:05" */
  clock: string;
  /** The full date and time, for a title. */
  full: string;
  /** For <time dateTime>. */
  iso: string;
}

const stamps = new WeakMap<Entry, Stamp>();

export function stampOf(e: Entry): Stamp {
  let s = stamps.get(e);
  if (!s) {
    const d = new Date(e.time);
    s = { clock: clockFormat.format(d), full: fullFormat.format(d), iso: d.toISOString() };
    stamps.set(e, s);
  }
  return s;
}

/**
 * Messages from others newer than afterSeq, oldest first: what arrived since
 * the rows were last looked at, for a screen reader to hear. Rows added
 * above (older history) have lower seqs and are never among them.
 */
export function arrivals(rows: readonly Row[], afterSeq: number, me: number): Message[] {
  const out: Message[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i];
    if (r.kind !== 'entry' || r.entry.kind !== 'message') continue;
    const m = r.entry.message;
    if (m.seq <= afterSeq) break;
    if (m.user_id !== me) out.push(m);
  }
  return out.reverse();
}

/** The highest message seq among the rows (0: none). */
export function lastSeq(rows: readonly Row[]): number {
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i];
    if (r.kind === 'entry' && r.entry.kind === 'message') return r.entry.message.seq;
  }
  return 0;
}
