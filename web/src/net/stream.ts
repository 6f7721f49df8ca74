// The user stream: one WebSocket (GET /ws) for every room of the signed-in
// user. It reconnects with backoff and resumes each room whose messages the
// client holds from the last seq it has; it owns every room's pending queue,
// so that no typed message is lost or doubled; it sends read pointers,
// coalesced and never backwards; and it hands each event to the listeners of
// its room. Messages and the changes of stored messages (edits, deletions,
// reactions) share each room's one seq stream: both move where a room
// resumes from. It tells the truth about the connection: while the browser says
// it has no network the stream is "offline" (no socket, no attempts), and a
// socket that has gone silent is checked (see Heartbeat) rather than
// trusted. Everything from the outside world (WebSocket, timers, randomness,
// the clock, storage, REST, the network signal) is injected, so the
// behaviour is unit-tested without a browser.

import { parseEvent, seqOf, type Message, type ServerEvent } from '../api/types';
import { backoffDelay, type BackoffOptions } from './backoff';
import { SeqTracker } from './seq';
import * as pq from '../state/pending';
import type { Extras, Pending } from '../state/pending';

export interface CloseLike {
  code: number;
  reason?: string;
}

/** The part of the browser WebSocket this module uses. */
export interface WSLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: CloseLike) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WSFactory = (url: string) => WSLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** offline: the browser says there is no network; nothing is tried until it comes back. */
export type Status = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';

/**
 * Checks on a socket that may have died without a close (a laptop lid, a
 * dropped Wi-Fi, a NAT that forgot us): the protocol has no ping frame the
 * page can see, so silence is what is watched.
 */
export interface Heartbeat {
  /** Asks whether the server answers at all (a cheap GET /healthz); true when it does. */
  probe: () => Promise<boolean>;
  /** No frame for this long: probe, and reconnect if the server does not answer (default 30 s). */
  quietMs?: number;
  /**
   * A message went out and no frame at all came back for this long: the
   * socket is taken for dead and replaced (default 10 s). The server echoes
   * every message at once, so this is never a busy room's silence.
   */
  ackTimeoutMs?: number;
}

export const QUIET_MS = 30_000;
export const ACK_TIMEOUT_MS = 10_000;

export interface StatusDetail {
  /** Failed attempts since the last open. */
  attempt: number;
  /** Wait before the next attempt, when reconnecting. */
  delayMs?: number;
  /** Close code of the connection that just ended. */
  code?: number;
}

export interface UserStreamOptions {
  /**
   * Builds the socket URL (see streamURL). It may be asynchronous: the web
   * client first fetches a one-time ticket, so that its access token never
   * travels in a URL. A rejection counts as a failed attempt.
   */
  url: () => string | Promise<string>;
  /** The signed-in user: acknowledgements are this user's messages. */
  userId: number;
  factory?: WSFactory;
  timers?: Timers;
  random?: () => number;
  now?: () => number;
  newId?: () => string;
  backoff?: BackoffOptions;
  /** Gives up on a handshake that has not opened after this long. */
  connectTimeoutMs?: number;
  /** Queues restored from storage, per room. */
  pending?: ReadonlyMap<number, readonly Pending[]>;
  /** Keeps a room's queue (an empty queue: forget it). */
  savePending?: (roomId: number, q: readonly Pending[]) => void;
  /**
   * Reads a room's stored messages after a seq (oldest first, at most
   * GAP_PAGE), to fill a gap the socket left: the server delivers every
   * message in order, but a client also defends itself. Without it gaps wait
   * for the next resume. Changes are not messages: a gap of changes is
   * filled by a resume (the socket is opened again).
   */
  fetchAfter?: (roomId: number, afterSeq: number) => Promise<readonly Message[]>;
  /** How long a gap may stay open before fetchAfter fills it (default 3 s). */
  gapWaitMs?: number;
  /** Read pointers asked for within this long go out as one frame (default 500 ms). */
  readDelayMs?: number;
  /** The session is over (4401) or the account suspended (4423): the stream has stopped for good. */
  onFatal?: (code: number) => void;
  /** Whether the browser has a network when the stream starts (navigator.onLine; default true). See setOnline. */
  online?: boolean;
  /** Watches an open socket for silence; without it a socket is trusted until it closes. */
  heartbeat?: Heartbeat;
}

const OPEN = 1;

/** The queue of every room with nothing pending: one value, so "unchanged" is cheap to see. */
const NO_PENDING: readonly Pending[] = Object.freeze([]);

/** The session ended (logout, password change, account deletion): reconnecting cannot help. */
export const CLOSE_TOKEN_EXPIRED = 4401;

/** An administrator suspended the account: reconnecting cannot help either, nor can signing in. */
export const CLOSE_SUSPENDED = 4423;

/** At most this many rooms in a resume frame (the server's limit). */
export const RESUME_MAX_ROOMS = 2000;

/** The page fetchAfter asks for: a shorter answer holds every message there is. */
export const GAP_PAGE = 100;

const browserFactory: WSFactory = (url) => new WebSocket(url) as unknown as WSLike;
const browserTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A room whose messages the client holds (an open view). */
interface Held {
  seq: SeqTracker;
  /**
   * The room's newest seq known when it was held: its history, asked for
   * after, shows everything up to there (messages in their current state).
   */
  floor: number;
  /** Where the room stood when a gap of changes last had the socket opened again (-1: never). */
  resyncedAt: number;
  /** The view has its history: the room is resumed and its gaps are filled. */
  loaded: boolean;
  gapTimer: unknown;
  filling: boolean;
}

type EventListener = (ev: ServerEvent) => void;
type StatusListener = (s: Status, d: StatusDetail) => void;
type PendingListener = (roomId: number, q: readonly Pending[]) => void;

function roomOf(ev: ServerEvent): number | null {
  return 'room_id' in ev && typeof ev.room_id === 'number' ? ev.room_id : null;
}

export class UserStream {
  private ws: WSLike | null = null;
  private gen = 0;
  private attempt = 0;
  private timer: unknown = null;
  private connectTimer: unknown = null;
  private stopped = true;
  private _status: Status = 'idle';
  private network: boolean;
  private everOpened = false;
  /** When the last frame arrived, and when the server last answered a probe. */
  private lastFrameAt = 0;
  private checkedAt = 0;
  /** When the oldest message still waiting for any frame in answer went out (null: none waits). */
  private sentAt: number | null = null;
  private watchTimer: unknown = null;
  private watchDue = 0;
  private readonly held = new Map<number, Held>();
  /** Per room, held or not: the newest seq the server has told of (ready, messages, changes). */
  private readonly known = new Map<number, number>();
  /** Rooms named in this connection's resume frame whose first message has not come yet. */
  private replaying = new Set<number>();
  private readonly queues = new Map<number, readonly Pending[]>();
  /** Per room: the highest read pointer asked for or confirmed; nothing at or below it is sent. */
  private readonly readMark = new Map<number, number>();
  /** Per room: a pointer not yet confirmed by the server (resent after a reconnect). */
  private readonly readOut = new Map<number, number>();
  /** Per room: what this connection already carried. */
  private readOnConn = new Map<number, number>();
  private readonly readTimers = new Map<number, unknown>();
  private readonly everyEvent = new Set<EventListener>();
  private readonly roomEvents = new Map<number, Set<EventListener>>();
  private readonly statusListeners = new Set<StatusListener>();
  private readonly pendingListeners = new Set<PendingListener>();
  private readonly o: UserStreamOptions;
  private readonly factory: WSFactory;
  private readonly timers: Timers;
  private readonly random: () => number;

  constructor(o: UserStreamOptions) {
    this.o = o;
    this.factory = o.factory ?? browserFactory;
    this.timers = o.timers ?? browserTimers;
    this.random = o.random ?? Math.random;
    this.network = o.online ?? true;
    for (const [roomId, q] of o.pending ?? []) if (q.length) this.queues.set(roomId, pq.markUnsent(q));
  }

  get status(): Status {
    return this._status;
  }

  /** The room's unacknowledged messages, oldest first. */
  pending(roomId: number): readonly Pending[] {
    return this.queues.get(roomId) ?? NO_PENDING;
  }

  /**
   * Calls fn with the events of one room (roomId), or of every room; events
   * that belong to no room (presence, ready) reach every listener. Returns
   * the unsubscribe function.
   */
  listen(fn: EventListener, roomId?: number): () => void {
    if (roomId === undefined) {
      this.everyEvent.add(fn);
      return () => this.everyEvent.delete(fn);
    }
    let set = this.roomEvents.get(roomId);
    if (!set) this.roomEvents.set(roomId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.roomEvents.get(roomId) === set) this.roomEvents.delete(roomId);
    };
  }

  onStatus(fn: StatusListener): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  onPending(fn: PendingListener): () => void {
    this.pendingListeners.add(fn);
    return () => this.pendingListeners.delete(fn);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    if (this.network) this.connect();
    else this.setStatus('offline', { attempt: 0 });
  }

  /**
   * The browser's word on the network (online and offline events). Offline,
   * the socket is let go at once (a browser without a network may keep a
   * dead one "open" for minutes), pending messages wait, and nothing is
   * tried; back online, the stream connects without waiting for a backoff.
   */
  setOnline(online: boolean): void {
    if (online === this.network) return;
    this.network = online;
    if (this.stopped) return;
    if (!online) {
      this.dropSocket('offline');
      this.setStatus('offline', { attempt: this.attempt });
      return;
    }
    if (this.ws || this._status === 'open') return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.gen++;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.unsendAll();
    this.setStatus('closed', { attempt: this.attempt });
  }

  /**
   * The client is about to hold the room's messages (its view opened): seqs
   * seen from now on are tracked, so the history and the live events join
   * without a gap. The room is resumed only once loaded() says where the
   * history ends.
   */
  hold(roomId: number): void {
    if (this.held.has(roomId)) return;
    this.held.set(roomId, { seq: new SeqTracker(0), floor: this.known.get(roomId) ?? 0, resyncedAt: -1, loaded: false, gapTimer: null, filling: false });
  }

  /**
   * The client holds every message of the room up to seq (its history
   * page), each as it was when the page was read: changes up to the seq
   * known when the room was held are in it too.
   */
  loaded(roomId: number, seq: number): void {
    const h = this.held.get(roomId);
    if (!h) return;
    // Most recently loaded last: a resume frame over the limit keeps these.
    this.held.delete(roomId);
    this.held.set(roomId, h);
    h.loaded = true;
    h.seq.haveThrough(Math.max(seq, h.floor));
    h.seq.knowOf(this.known.get(roomId) ?? 0);
    this.watchGap(roomId, h);
  }

  /** The client no longer holds the room's messages (its view closed). */
  release(roomId: number): void {
    const h = this.held.get(roomId);
    if (!h) return;
    if (h.gapTimer !== null) this.timers.clearTimeout(h.gapTimer);
    this.held.delete(roomId);
    this.replaying.delete(roomId);
  }

  /** Where the room would resume from; null when it is not held. */
  resumeFrom(roomId: number): number | null {
    const h = this.held.get(roomId);
    return h && h.loaded ? h.seq.resumeFrom : null;
  }

  /** Queues a message for a room and sends it now when connected. Returns its pending entry. */
  send(roomId: number, content: string, extras: Extras = {}): Pending {
    const p: Pending = {
      client_id: (this.o.newId ?? pq.newClientId)(),
      content,
      created: (this.o.now ?? Date.now)(),
      sent: false,
    };
    if (extras.reply_to) {
      p.reply_to = extras.reply_to;
      if (extras.quote) p.quote = extras.quote;
    }
    if (extras.file_ids && extras.file_ids.length) {
      p.file_ids = extras.file_ids;
      if (extras.files) p.files = extras.files;
    }
    this.setQueue(roomId, pq.enqueue(this.pending(roomId), p));
    if (this.isOpen()) this.flush(roomId, [p]);
    return p;
  }

  /** Drops a message that has not gone out yet. */
  discard(roomId: number, clientId: string): boolean {
    const q = this.pending(roomId);
    const p = q.find((x) => x.client_id === clientId);
    if (!p || p.sent) return false;
    this.setQueue(roomId, pq.ack(q, clientId));
    return true;
  }

  /** Tells a room this user is typing; dropped when offline (it is not worth queuing). */
  typing(roomId: number): boolean {
    return this.isOpen() && this.write({ type: 'typing', room_id: roomId });
  }

  /**
   * Moves this user's read pointer in a room to seq. Pointers asked for
   * within readDelayMs go out as one frame with the highest; a seq at or
   * below one already asked for or confirmed is never sent. Offline, the
   * pointer waits for the next connection.
   */
  read(roomId: number, seq: number): void {
    if (!Number.isFinite(seq) || seq <= 0 || seq <= (this.readMark.get(roomId) ?? 0)) return;
    this.readMark.set(roomId, seq);
    this.readOut.set(roomId, seq);
    if (this.readTimers.has(roomId)) return;
    this.readTimers.set(
      roomId,
      this.timers.setTimeout(() => {
        this.readTimers.delete(roomId);
        this.sendRead(roomId);
      }, this.o.readDelayMs ?? 500),
    );
  }

  private isOpen(): boolean {
    return !!this.ws && this.ws.readyState === OPEN && this._status === 'open';
  }

  private write(frame: object): boolean {
    try {
      this.ws!.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private setQueue(roomId: number, q: readonly Pending[]): void {
    if (q === this.pending(roomId) || (q.length === 0 && !this.queues.has(roomId))) return;
    if (q.length) this.queues.set(roomId, q);
    else this.queues.delete(roomId);
    this.o.savePending?.(roomId, q);
    this.pendingListeners.forEach((fn) => fn(roomId, q));
  }

  private unsendAll(): void {
    for (const [roomId, q] of this.queues) if (q.some((p) => p.sent)) this.setQueue(roomId, pq.markUnsent(q));
  }

  /** Lets the socket go without waiting for its close (offline, or found silent). */
  private dropSocket(reason: string): void {
    this.gen++;
    const ws = this.ws;
    this.ws = null;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    if (this.connectTimer !== null) this.timers.clearTimeout(this.connectTimer);
    this.timer = null;
    this.connectTimer = null;
    this.unwatch();
    if (ws) {
      try {
        ws.close(4000, reason);
      } catch {
        /* already closed */
      }
    }
    this.unsendAll();
  }

  private connect(): void {
    const gen = ++this.gen;
    this.setStatus(this.attempt === 0 && !this.everOpened && this._status !== 'reconnecting' ? 'connecting' : 'reconnecting', { attempt: this.attempt });
    let target: string | Promise<string>;
    try {
      target = this.o.url();
    } catch {
      this.scheduleReconnect(1006);
      return;
    }
    if (typeof target === 'string') {
      this.open(gen, target);
      return;
    }
    target.then(
      (url) => {
        if (gen === this.gen && !this.stopped) this.open(gen, url);
      },
      () => {
        if (gen === this.gen && !this.stopped) this.scheduleReconnect(1006);
      },
    );
  }

  private open(gen: number, url: string): void {
    let ws: WSLike;
    try {
      ws = this.factory(url);
    } catch {
      this.scheduleReconnect(1006);
      return;
    }
    this.ws = ws;
    ws.onopen = () => gen === this.gen && this.handleOpen();
    ws.onmessage = (ev) => gen === this.gen && this.handleFrame(ev.data);
    ws.onclose = (ev) => gen === this.gen && this.handleClose(ev?.code ?? 1006);
    ws.onerror = () => {
      /* a close event follows */
    };
    this.connectTimer = this.timers.setTimeout(() => {
      this.connectTimer = null;
      if (gen !== this.gen || this._status === 'open') return;
      this.gen++;
      this.ws = null;
      try {
        ws.close();
      } catch {
        /* ignore */
      }
      this.scheduleReconnect(1006);
    }, this.o.connectTimeoutMs ?? 10_000);
  }

  private handleOpen(): void {
    if (this.connectTimer !== null) {
      this.timers.clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    this.attempt = 0;
    this.everOpened = true;
    this.lastFrameAt = this.checkedAt = this.now();
    this.sentAt = null;
    // The first frame says where each held room stands; the server replays
    // what came after, then sends ready.
    const rooms: Record<string, number> = {};
    const loaded = [...this.held].filter(([, h]) => h.loaded).slice(-RESUME_MAX_ROOMS);
    for (const [roomId, h] of loaded) rooms[roomId] = h.seq.resumeFrom;
    this.replaying = new Set(loaded.map(([roomId]) => roomId));
    this.readOnConn = new Map();
    // Written before anyone hears of the open, so nothing can go ahead of it.
    const resumed = this.write({ type: 'resume', rooms });
    this.setStatus('open', { attempt: 0 });
    if (!resumed) return; // the close that follows reconnects
    for (const [roomId, q] of this.queues) this.flush(roomId, q);
    for (const roomId of this.readOut.keys()) this.sendRead(roomId);
    this.watch();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** When the open socket is next checked: after a send that got no answer, or after a long silence. */
  private watch(): void {
    const hb = this.o.heartbeat;
    if (!hb || !this.isOpen()) return;
    const due =
      this.sentAt !== null
        ? this.sentAt + (hb.ackTimeoutMs ?? ACK_TIMEOUT_MS)
        : Math.max(this.lastFrameAt, this.checkedAt) + (hb.quietMs ?? QUIET_MS);
    if (this.watchTimer !== null) {
      if (this.watchDue <= due) return; // it fires first and looks again
      this.timers.clearTimeout(this.watchTimer);
    }
    this.watchDue = due;
    this.watchTimer = this.timers.setTimeout(() => {
      this.watchTimer = null;
      this.check();
    }, Math.max(0, due - this.now()));
  }

  private unwatch(): void {
    if (this.watchTimer !== null) this.timers.clearTimeout(this.watchTimer);
    this.watchTimer = null;
  }

  private check(): void {
    const hb = this.o.heartbeat;
    if (!hb || !this.isOpen()) return;
    const now = this.now();
    if (this.sentAt !== null) {
      if (now - this.sentAt >= (hb.ackTimeoutMs ?? ACK_TIMEOUT_MS)) {
        this.replaceSilentSocket();
        return;
      }
    } else if (now - Math.max(this.lastFrameAt, this.checkedAt) >= (hb.quietMs ?? QUIET_MS)) {
      const gen = this.gen;
      const answered = (ok: boolean) => {
        if (gen !== this.gen || !this.isOpen()) return;
        if (!ok) return this.replaceSilentSocket();
        this.checkedAt = this.now();
        this.watch();
      };
      hb.probe().then(answered, () => answered(false));
      return;
    }
    this.watch();
  }

  /** The socket went silent: a new one resumes, and re-sends what was not echoed. */
  private replaceSilentSocket(): void {
    this.dropSocket('silent');
    this.scheduleReconnect(1006);
  }

  private flush(roomId: number, items: readonly Pending[]): void {
    const ws = this.ws;
    if (!ws) return;
    const sent = new Set<string>();
    for (const p of items) {
      try {
        ws.send(pq.frame(p, roomId));
        sent.add(p.client_id);
      } catch {
        break;
      }
    }
    this.setQueue(roomId, pq.markSent(this.pending(roomId), sent));
    if (sent.size && this.sentAt === null) {
      // The oldest send still waiting for an answer is what times out.
      this.sentAt = this.now();
      this.watch();
    }
  }

  private sendRead(roomId: number): void {
    const seq = this.readOut.get(roomId);
    if (seq === undefined || !this.isOpen() || (this.readOnConn.get(roomId) ?? 0) >= seq) return;
    if (this.write({ type: 'read', room_id: roomId, seq })) this.readOnConn.set(roomId, seq);
  }

  /** The server says where the pointer is: nothing at or below it needs sending. */
  private confirmRead(roomId: number, seq: number): void {
    if (seq > (this.readMark.get(roomId) ?? 0)) this.readMark.set(roomId, seq);
    const out = this.readOut.get(roomId);
    if (out !== undefined && out <= seq) this.readOut.delete(roomId);
  }

  private handleFrame(data: unknown): void {
    // Any frame proves the socket alive; the timer sees it when it fires.
    this.lastFrameAt = this.now();
    this.sentAt = null;
    const ev = parseEvent(data);
    if (!ev) return;
    const seq = seqOf(ev);
    const roomId = roomOf(ev);
    if (seq !== null && roomId !== null) this.observe(roomId, seq);
    switch (ev.type) {
      case 'message':
        if (ev.client_id && ev.user_id === this.o.userId) this.setQueue(ev.room_id, pq.ack(this.pending(ev.room_id), ev.client_id));
        break;
      case 'ready':
        // The replay is over: from here a jump in a room's seqs is a gap.
        this.replaying.clear();
        for (const r of Array.isArray(ev.rooms) ? ev.rooms : []) {
          this.know(r.room_id, r.last_seq);
          this.confirmRead(r.room_id, r.last_read_seq);
          const h = this.held.get(r.room_id);
          if (h?.loaded) {
            h.seq.knowOf(r.last_seq);
            this.watchGap(r.room_id, h);
          }
        }
        break;
      case 'read':
        this.confirmRead(ev.room_id, ev.last_read_seq);
        break;
      case 'room_removed':
        // Its events stop and its frames would be refused: what waits for it
        // can never go out.
        this.release(ev.room_id);
        this.setQueue(ev.room_id, []);
        // A room joined again starts from the server's pointer, not this one.
        this.readOut.delete(ev.room_id);
        this.readMark.delete(ev.room_id);
        this.readOnConn.delete(ev.room_id);
        break;
    }
    this.emit(ev);
  }

  private emit(ev: ServerEvent): void {
    const roomId = roomOf(ev);
    this.everyEvent.forEach((fn) => fn(ev));
    if (roomId === null) this.roomEvents.forEach((set) => set.forEach((fn) => fn(ev)));
    else this.roomEvents.get(roomId)?.forEach((fn) => fn(ev));
  }

  private know(roomId: number, seq: number): void {
    if (typeof seq === 'number' && Number.isFinite(seq) && seq > (this.known.get(roomId) ?? 0)) this.known.set(roomId, seq);
  }

  /** A message or a change with this seq reached the client. */
  private observe(roomId: number, seq: number): void {
    this.know(roomId, seq);
    const h = this.held.get(roomId);
    if (!h) return;
    if (this.replaying.delete(roomId) && seq > h.seq.resumeFrom + 1) {
      // The server replays every stored seq above the resume point in
      // order: a first entry further ahead proves the seqs between do not
      // exist, so they must not hold back later resumes.
      h.seq.haveThrough(seq - 1);
    }
    h.seq.observe(seq);
    this.watchGap(roomId, h);
  }

  /** Arms the room's gap timer while a seq below the newest one known is missing. */
  private watchGap(roomId: number, h: Held): void {
    if (!this.o.fetchAfter || !h.loaded || h.gapTimer !== null || h.filling) return;
    if (h.seq.maxSeen <= h.seq.resumeFrom) return;
    h.gapTimer = this.timers.setTimeout(() => {
      h.gapTimer = null;
      void this.fillGap(roomId, h);
    }, this.o.gapWaitMs ?? 3000);
  }

  /** Reads the missing range from the store and hands it on like live frames. */
  private async fillGap(roomId: number, h: Held): Promise<void> {
    const fetchAfter = this.o.fetchAfter;
    if (!fetchAfter || this.held.get(roomId) !== h || h.seq.maxSeen <= h.seq.resumeFrom) return;
    h.filling = true;
    try {
      const page = await fetchAfter(roomId, h.seq.resumeFrom);
      if (this.held.get(roomId) !== h) return;
      let top = 0;
      for (const m of page) {
        if (typeof m.seq !== 'number') continue;
        const ev: ServerEvent = { type: 'message', ...m, room_id: roomId };
        top = Math.max(top, m.seq);
        this.observe(roomId, m.seq);
        if (m.client_id && m.user_id === this.o.userId) this.setQueue(roomId, pq.ack(this.pending(roomId), m.client_id));
        this.emit(ev);
      }
      // The page holds every message up to its last one (all there are,
      // when it is not full): a seq still missing below that is a change.
      const covered = page.length < GAP_PAGE ? h.seq.maxSeen : top;
      if (h.seq.resumeFrom < covered && this.changeGap(h, covered)) return;
    } catch {
      /* the next message or resume tries again */
    } finally {
      h.filling = false;
    }
    if (this.held.get(roomId) === h) this.watchGap(roomId, h);
  }

  /**
   * Changes below covered never came. Only a resume replays changes: the
   * socket is opened again (true). If one already resumed from here and
   * they did not come, the server has none to give, and the room stops
   * waiting for them.
   */
  private changeGap(h: Held, covered: number): boolean {
    if (h.resyncedAt === h.seq.resumeFrom || !this.isOpen()) {
      if (h.resyncedAt === h.seq.resumeFrom) h.seq.haveThrough(covered);
      return false;
    }
    h.resyncedAt = h.seq.resumeFrom;
    this.dropSocket('resync');
    this.connect();
    return true;
  }

  private handleClose(code: number): void {
    this.ws = null;
    if (this.connectTimer !== null) {
      this.timers.clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    this.unwatch();
    this.unsendAll();
    if (this.stopped) return;
    if (code === CLOSE_TOKEN_EXPIRED || code === CLOSE_SUSPENDED) {
      this.stopped = true;
      this.gen++;
      this.clearTimers();
      this.setStatus('closed', { attempt: this.attempt, code });
      this.o.onFatal?.(code);
      return;
    }
    this.scheduleReconnect(code);
  }

  private scheduleReconnect(code: number): void {
    if (this.stopped) return;
    if (!this.network) {
      // Nothing can work before the network is back: setOnline reconnects then.
      this.setStatus('offline', { attempt: this.attempt, code });
      return;
    }
    const delayMs = backoffDelay(this.attempt, this.random, this.o.backoff);
    this.attempt++;
    this.setStatus('reconnecting', { attempt: this.attempt, delayMs, code });
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delayMs);
  }

  private clearTimers(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    if (this.connectTimer !== null) this.timers.clearTimeout(this.connectTimer);
    this.timer = null;
    this.connectTimer = null;
    this.unwatch();
    for (const h of this.held.values()) {
      if (h.gapTimer !== null) this.timers.clearTimeout(h.gapTimer);
      h.gapTimer = null;
    }
    for (const t of this.readTimers.values()) this.timers.clearTimeout(t);
    this.readTimers.clear();
  }

  private setStatus(s: Status, d: StatusDetail): void {
    this._status = s;
    this.statusListeners.forEach((fn) => fn(s, d));
  }
}

/**
 * ws:// or wss:// URL of the user stream on the page's own origin, opened
 * with a one-time ticket (POST /ws/tickets): the access token itself never
 * goes into a URL, where proxies log it. resume=1: the first frame says
 * where the client stands in each room it holds.
 */
export function streamURL(loc: { protocol: string; host: string }, ticket: string): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams({ ticket, resume: '1' });
  return `${scheme}://${loc.host}/ws?${q}`;
}
