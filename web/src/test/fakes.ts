// Test doubles for the user stream's injected world.
import type { ChangeEvent, Message } from '../api/types';
import type { CloseLike, Timers, WSFactory, WSLike } from '../net/stream';

/** A frame the client sent, decoded. */
export interface Frame {
  type: string;
  room_id?: number;
  content?: string;
  client_id?: string;
  seq?: number;
  rooms?: Record<string, number>;
}

export class FakeWS implements WSLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: CloseLike) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: string[] = [];
  closedByClient: number | undefined;
  constructor(readonly url: string) {}
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closedByClient = code ?? 1005;
    this.readyState = 3;
  }
  /** Server side: */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  emit(ev: object): void {
    this.onmessage?.({ data: JSON.stringify(ev) });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  frames(): Frame[] {
    return this.sent.map((s) => JSON.parse(s));
  }
}

export function fakeFactory(): { factory: WSFactory; sockets: FakeWS[]; last: () => FakeWS } {
  const sockets: FakeWS[] = [];
  return {
    sockets,
    factory: (url) => {
      const ws = new FakeWS(url);
      sockets.push(ws);
      return ws;
    },
    last: () => sockets[sockets.length - 1],
  };
}

export class FakeTimers implements Timers {
  private seq = 0;
  now = 0;
  tasks: { id: number; at: number; ms: number; fn: () => void }[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.tasks.push({ id, at: this.now + ms, ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.tasks = this.tasks.filter((t) => t.id !== h);
  }
  /** Runs every task due within ms, in time order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.tasks.sort((a, b) => a.at - b.at);
      const t = this.tasks[0];
      if (!t || t.at > end) break;
      this.tasks.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
  /** Delays of the tasks waiting now (ms as scheduled). */
  pendingDelays(): number[] {
    return this.tasks.map((t) => t.ms);
  }
}

export function msg(id: number, seq: number, extra: Partial<Message> = {}): Message {
  return {
    id,
    seq,
    room_id: 1,
    user_id: 2,
    username: 'bob',
    content: `m${seq}`,
    created_at: `2026-11-23T10:${String(Math.floor(seq / 60) % 60).padStart(2, '0')}:${String(seq % 60).padStart(2, '0')}.000000Z`,
    ...extra,
  };
}

/** A change event of message messageId in room 1 (see ServerEvent), by user 2 unless extra says. */
export function change(type: ChangeEvent['type'], seq: number, messageId: number, extra: Record<string, unknown> = {}): ChangeEvent {
  const base = { room_id: 1, seq, message_id: messageId, user_id: 2 };
  switch (type) {
    case 'message_edited':
      return { type, ...base, content: `edited ${seq}`, edited_at: '2026-11-23T11:00:00Z', ...extra } as ChangeEvent;
    case 'message_deleted':
      return { type, ...base, deleted_at: '2026-11-23T11:00:00Z', ...extra } as ChangeEvent;
    default:
      return { type, ...base, username: 'bob', emoji: '👍', count: 1, ...extra } as ChangeEvent;
  }
}

/** Storage in memory (localStorage, sessionStorage); m is what it holds. */
export class MemoryStorage {
  m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}
