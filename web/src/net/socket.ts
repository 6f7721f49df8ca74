// One room's live connection: reconnects with backoff, resumes with
// after_seq, and owns the pending queue so that no typed message is lost or
// doubled. Everything from the outside world (WebSocket, timers, randomness,
// the clock) is injected, so the behaviour is unit-tested without a browser.

import { parseEvent, type Message, type ServerEvent } from '../api/types';
import { backoffDelay, type BackoffOptions } from './backoff';
import { SeqTracker } from './seq';
import * as pq from '../state/pending';
import type { Pending } from '../state/pending';

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

export type Status = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StatusDetail {
  /** Failed attempts since the last open. */
  attempt: number;
  /** Wait before the next attempt, when reconnecting. */
  delayMs?: number;
  /** Close code of the connection that just ended. */
  code?: number;
}

export type FatalReason = 'unauthorized' | 'forbidden';

export interface RoomSocketOptions {
  /**
   * Builds the socket URL for a resume point. It may be asynchronous: the
   * web client first fetches a one-time ticket, so that its access token
   * never travels in a URL. A rejection counts as a failed attempt.
   */
  url: (afterSeq: number) => string | Promise<string>;
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
  /** A queue restored from storage. */
  pending?: readonly Pending[];
  onEvent?: (ev: ServerEvent) => void;
  onStatus?: (s: Status, d: StatusDetail) => void;
  onPending?: (q: readonly Pending[]) => void;
  onFatal?: (reason: FatalReason) => void;
  /**
   * Reads stored messages after a seq (oldest first), to fill a gap the
   * socket left: the server delivers every message in order, but a client
   * also defends itself. Without it gaps wait for the next resume.
   */
  fetchAfter?: (afterSeq: number) => Promise<readonly Message[]>;
  /** How long a gap may stay open before fetchAfter fills it (default 3 s). */
  gapWaitMs?: number;
}

const OPEN = 1;

/** Close codes after which reconnecting cannot help. */
export const CLOSE_TOKEN_EXPIRED = 4401;
export const CLOSE_REMOVED = 4403;

const browserFactory: WSFactory = (url) => new WebSocket(url) as unknown as WSLike;
const browserTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class RoomSocket {
  readonly seq = new SeqTracker();
  private ws: WSLike | null = null;
  private gen = 0;
  private attempt = 0;
  private timer: unknown = null;
  private connectTimer: unknown = null;
  private gapTimer: unknown = null;
  private filling = false;
  private firstOnConn = false;
  private stopped = true;
  private _status: Status = 'idle';
  private queue: readonly Pending[];
  private readonly o: RoomSocketOptions;
  private readonly factory: WSFactory;
  private readonly timers: Timers;
  private readonly random: () => number;

  constructor(o: RoomSocketOptions) {
    this.o = o;
    this.factory = o.factory ?? browserFactory;
    this.timers = o.timers ?? browserTimers;
    this.random = o.random ?? Math.random;
    this.queue = pq.markUnsent(o.pending ?? []);
  }

  get status(): Status {
    return this._status;
  }

  get pending(): readonly Pending[] {
    return this.queue;
  }

  /** Connects, resuming after afterSeq (the newest seq already shown). */
  start(afterSeq = 0): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.seq.haveThrough(afterSeq);
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
    this.queue = pq.markUnsent(this.queue);
    this.setStatus('closed', { attempt: this.attempt });
  }

  /** Queues a message and sends it now when connected. Returns its pending entry. */
  send(content: string): Pending {
    const p: Pending = {
      client_id: (this.o.newId ?? pq.newClientId)(),
      content,
      created: (this.o.now ?? Date.now)(),
      sent: false,
    };
    this.queue = pq.enqueue(this.queue, p);
    if (this.isOpen()) this.flush([p]);
    this.o.onPending?.(this.queue);
    return p;
  }

  /** Drops a message that has not gone out yet. */
  discard(clientId: string): boolean {
    const p = this.queue.find((x) => x.client_id === clientId);
    if (!p || p.sent) return false;
    this.queue = pq.ack(this.queue, clientId);
    this.o.onPending?.(this.queue);
    return true;
  }

  /** Tells the room this user is typing; dropped when offline (it is not worth queuing). */
  typing(): boolean {
    if (!this.isOpen()) return false;
    try {
      this.ws!.send('{"type":"typing"}');
      return true;
    } catch {
      return false;
    }
  }

  /** Skips the remaining backoff wait (e.g. the browser came back online). */
  reconnectNow(): void {
    if (this.stopped || this._status !== 'reconnecting' || this.ws) return;
    this.clearTimers();
    this.connect();
  }

  private isOpen(): boolean {
    return !!this.ws && this.ws.readyState === OPEN && this._status === 'open';
  }

  private connect(): void {
    const gen = ++this.gen;
    this.setStatus(this.attempt === 0 && this._status !== 'reconnecting' ? 'connecting' : 'reconnecting', {
      attempt: this.attempt,
    });
    let target: string | Promise<string>;
    try {
      target = this.o.url(this.seq.resumeFrom);
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
    const limit = this.o.connectTimeoutMs ?? 10_000;
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
    }, limit);
  }

  private handleOpen(): void {
    if (this.connectTimer !== null) {
      this.timers.clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    this.attempt = 0;
    this.firstOnConn = true;
    this.setStatus('open', { attempt: 0 });
    this.flush(this.queue);
    if (this.queue.length) this.o.onPending?.(this.queue);
  }

  private flush(items: readonly Pending[]): void {
    const ws = this.ws;
    if (!ws) return;
    const sent = new Set<string>();
    for (const p of items) {
      try {
        ws.send(pq.frame(p));
        sent.add(p.client_id);
      } catch {
        break;
      }
    }
    this.queue = pq.markSent(this.queue, sent);
  }

  private handleFrame(data: unknown): void {
    const ev = parseEvent(data);
    if (!ev) return;
    if (ev.type === 'message') {
      if (this.firstOnConn) {
        // The server replays every stored seq above after_seq in order before
        // going live: a first message further ahead proves the seqs between
        // do not exist, so they must not hold back later resumes.
        if (ev.seq > this.seq.resumeFrom + 1) this.seq.haveThrough(ev.seq - 1);
        this.firstOnConn = false;
      }
      this.seq.observe(ev.seq);
      this.ackOwn(ev);
      this.watchGap();
    }
    this.o.onEvent?.(ev);
  }

  private ackOwn(m: Message): void {
    if (m.client_id && m.user_id === this.o.userId) {
      const next = pq.ack(this.queue, m.client_id);
      if (next !== this.queue) {
        this.queue = next;
        this.o.onPending?.(this.queue);
      }
    }
  }

  /** Arms the gap timer while a seq below the newest one seen is missing. */
  private watchGap(): void {
    if (!this.o.fetchAfter || this.gapTimer !== null || this.filling) return;
    if (this.seq.maxSeen <= this.seq.resumeFrom) return;
    this.gapTimer = this.timers.setTimeout(() => {
      this.gapTimer = null;
      void this.fillGap();
    }, this.o.gapWaitMs ?? 3000);
  }

  /** Reads the missing range from the store and hands it on like live frames. */
  private async fillGap(): Promise<void> {
    const fetchAfter = this.o.fetchAfter;
    if (!fetchAfter || this.stopped || this.seq.maxSeen <= this.seq.resumeFrom) return;
    const gen = this.gen;
    this.filling = true;
    try {
      const page = await fetchAfter(this.seq.resumeFrom);
      if (gen !== this.gen || this.stopped) return;
      for (const m of page) {
        if (typeof m.seq !== 'number') continue;
        this.seq.observe(m.seq);
        this.ackOwn(m);
        this.o.onEvent?.({ type: 'message', ...m });
      }
    } catch {
      /* the next message or resume tries again */
    } finally {
      this.filling = false;
    }
    if (gen === this.gen) this.watchGap();
  }

  private handleClose(code: number): void {
    this.ws = null;
    if (this.connectTimer !== null) {
      this.timers.clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    this.queue = pq.markUnsent(this.queue);
    if (this.stopped) return;
    if (code === CLOSE_TOKEN_EXPIRED || code === CLOSE_REMOVED) {
      this.stopped = true;
      this.gen++;
      this.setStatus('closed', { attempt: this.attempt, code });
      this.o.onFatal?.(code === CLOSE_TOKEN_EXPIRED ? 'unauthorized' : 'forbidden');
      return;
    }
    this.scheduleReconnect(code);
  }

  private scheduleReconnect(code: number): void {
    if (this.stopped) return;
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
    if (this.gapTimer !== null) this.timers.clearTimeout(this.gapTimer);
    this.timer = null;
    this.connectTimer = null;
    this.gapTimer = null;
  }

  private setStatus(s: Status, d: StatusDetail): void {
    this._status = s;
    this.o.onStatus?.(s, d);
  }
}

/**
 * ws:// or wss:// URL of a room's socket on the page's own origin, opened
 * with a one-time ticket (POST /ws/tickets): the access token itself never
 * goes into a URL, where proxies log it.
 */
export function roomSocketURL(loc: { protocol: string; host: string }, roomId: number, ticket: string, afterSeq: number): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams({ ticket, after_seq: String(afterSeq) });
  return `${scheme}://${loc.host}/ws/rooms/${roomId}?${q}`;
}
