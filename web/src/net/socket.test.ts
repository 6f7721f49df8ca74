import { describe, expect, it } from 'vitest';
import { RoomSocket, roomSocketURL, type FatalReason, type Status } from './socket';
import type { Pending } from '../state/pending';
import type { ServerEvent } from '../api/types';
import { FakeTimers, fakeFactory, msg } from '../test/fakes';
import { backoffCeiling } from './backoff';

const ME = 7;

function setup(opts: { pending?: Pending[]; random?: () => number } = {}) {
  const timers = new FakeTimers();
  const ws = fakeFactory();
  let n = 0;
  const events: ServerEvent[] = [];
  const statuses: Status[] = [];
  const queues: (readonly Pending[])[] = [];
  const fatal: FatalReason[] = [];
  const s = new RoomSocket({
    url: (after) => `ws://x/ws/rooms/1?after_seq=${after}`,
    userId: ME,
    factory: ws.factory,
    timers,
    random: opts.random ?? (() => 0.5),
    now: () => timers.now,
    newId: () => `c${++n}`,
    pending: opts.pending,
    onEvent: (e) => events.push(e),
    onStatus: (st) => statuses.push(st),
    onPending: (q) => queues.push(q),
    onFatal: (r) => fatal.push(r),
  });
  return { s, timers, ws, events, statuses, queues, fatal };
}

const afterSeq = (url: string) => Number(new URL(url).searchParams.get('after_seq'));

describe('RoomSocket resume', () => {
  it('connects with after_seq of the history it was started from', () => {
    const { s, ws } = setup();
    s.start(42);
    expect(afterSeq(ws.last().url)).toBe(42);
  });

  it('reconnects with after_seq = highest seq seen', () => {
    const { s, ws, timers, statuses } = setup();
    s.start(0);
    ws.last().open();
    [1, 2, 3].forEach((q) => ws.last().emit({ type: 'message', ...msg(100 + q, q) }));
    ws.last().drop(1006);
    expect(s.status).toBe('reconnecting');
    timers.advance(10_000);
    expect(ws.sockets).toHaveLength(2);
    expect(afterSeq(ws.last().url)).toBe(3);
    ws.last().open();
    expect(statuses.slice(-1)[0]).toBe('open');
  });

  it('skips seqs the server proves absent (first replayed message jumps ahead)', () => {
    const { s, ws, timers } = setup();
    s.start(10);
    ws.last().open();
    ws.last().emit({ type: 'message', ...msg(200, 14) });
    ws.last().emit({ type: 'message', ...msg(201, 15) });
    ws.last().drop(1001);
    timers.advance(10_000);
    expect(afterSeq(ws.last().url)).toBe(15);
  });

  it('does not resume past a seq that arrived out of order and is still missing', () => {
    const { s, ws, timers } = setup();
    s.start(0);
    ws.last().open();
    ws.last().emit({ type: 'message', ...msg(1, 1) });
    ws.last().emit({ type: 'message', ...msg(3, 3) });
    ws.last().drop(1006);
    timers.advance(10_000);
    expect(afterSeq(ws.last().url)).toBe(1);
  });

  it('forwards every parsed event and ignores junk frames', () => {
    const { s, ws, events } = setup();
    s.start(0);
    ws.last().open();
    ws.last().onmessage?.({ data: 'garbage' });
    ws.last().emit({ type: 'typing', room_id: 1, user_id: 2, username: 'bob' });
    expect(events.map((e) => e.type)).toEqual(['typing']);
  });

  it('ignores events from a replaced connection', () => {
    const { s, ws, timers, events } = setup();
    s.start(0);
    const first = ws.last();
    first.open();
    first.drop(1006);
    timers.advance(10_000);
    first.emit({ type: 'message', ...msg(9, 9) });
    expect(events).toHaveLength(0);
    expect(s.seq.resumeFrom).toBe(0);
  });
});

describe('RoomSocket pending queue', () => {
  it('queues while offline and flushes in order on open', () => {
    const { s, ws } = setup();
    s.start(0);
    s.send('one');
    s.send('two');
    expect(ws.last().sent).toHaveLength(0);
    expect(s.pending.map((p) => p.sent)).toEqual([false, false]);
    ws.last().open();
    expect(ws.last().frames()).toEqual([
      { type: 'message', content: 'one', client_id: 'c1' },
      { type: 'message', content: 'two', client_id: 'c2' },
    ]);
    expect(s.pending.map((p) => p.sent)).toEqual([true, true]);
  });

  it('sends at once when open and removes on the ack with the same client_id from this user', () => {
    const { s, ws, queues } = setup();
    s.start(0);
    ws.last().open();
    const p = s.send('hi');
    expect(ws.last().frames()).toEqual([{ type: 'message', content: 'hi', client_id: p.client_id }]);
    // someone else's message with a colliding client_id is not our ack
    ws.last().emit({ type: 'message', ...msg(1, 1, { user_id: 99, client_id: p.client_id }) });
    expect(s.pending).toHaveLength(1);
    ws.last().emit({ type: 'message', ...msg(2, 2, { user_id: ME, client_id: p.client_id, content: 'hi' }) });
    expect(s.pending).toHaveLength(0);
    expect(queues.slice(-1)[0]).toEqual([]);
  });

  it('resends unacknowledged messages once per connection, never twice on one', () => {
    const { s, ws, timers } = setup();
    s.start(0);
    ws.last().open();
    s.send('lost?');
    ws.last().drop(1006);
    expect(s.pending[0].sent).toBe(false);
    timers.advance(10_000);
    ws.last().open();
    expect(ws.last().frames().filter((f) => f.type === 'message')).toHaveLength(1);
    // the server's copy (deduplicated by client_id on the server) acks it
    ws.last().emit({ type: 'message', ...msg(5, 5, { user_id: ME, client_id: 'c1' }) });
    expect(s.pending).toHaveLength(0);
    ws.last().drop(1006);
    timers.advance(10_000);
    ws.last().open();
    expect(ws.last().sent).toHaveLength(0);
  });

  it('an ack replayed on resume removes the entry even before the resend is answered', () => {
    const { s, ws, timers } = setup();
    s.start(0);
    ws.last().open();
    s.send('x');
    ws.last().drop(1006);
    timers.advance(10_000);
    ws.last().open();
    ws.last().emit({ type: 'message', ...msg(1, 1, { user_id: ME, client_id: 'c1' }) });
    ws.last().emit({ type: 'message', ...msg(1, 1, { user_id: ME, client_id: 'c1' }) });
    expect(s.pending).toHaveLength(0);
  });

  it('restores a stored queue and sends it on the first open', () => {
    const { s, ws } = setup({ pending: [{ client_id: 'old', content: 'from before reload', created: 0, sent: true }] });
    expect(s.pending[0].sent).toBe(false);
    s.start(0);
    ws.last().open();
    expect(ws.last().frames()).toEqual([{ type: 'message', content: 'from before reload', client_id: 'old' }]);
  });

  it('discards only what has not gone out', () => {
    const { s, ws } = setup();
    s.start(0);
    const a = s.send('a');
    expect(s.discard(a.client_id)).toBe(true);
    ws.last().open();
    const b = s.send('b');
    expect(s.discard(b.client_id)).toBe(false);
    expect(s.pending.map((p) => p.content)).toEqual(['b']);
  });

  it('sends typing only while open', () => {
    const { s, ws } = setup();
    s.start(0);
    expect(s.typing()).toBe(false);
    ws.last().open();
    expect(s.typing()).toBe(true);
    expect(ws.last().frames()).toEqual([{ type: 'typing' }]);
  });
});

describe('RoomSocket reconnect', () => {
  it('backs off exponentially with jitter up to the cap, and resets after an open', () => {
    const { s, ws, timers } = setup({ random: () => 0 });
    s.start(0);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      ws.last().drop(1006);
      const waiting = timers.pendingDelays();
      expect(waiting).toHaveLength(1);
      delays.push(waiting[0]);
      timers.advance(waiting[0]);
    }
    expect(delays).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n) / 2));
    ws.last().open();
    ws.last().drop(1013);
    expect(timers.pendingDelays()).toEqual([backoffCeiling(0) / 2]);
  });

  it('reconnects after 1013, 1001 and 1006', () => {
    for (const code of [1013, 1001, 1006, 1008]) {
      const { s, ws, timers } = setup();
      s.start(0);
      ws.last().open();
      ws.last().drop(code);
      timers.advance(10_000);
      expect(ws.sockets).toHaveLength(2);
      expect(s.status).toBe('reconnecting');
    }
  });

  it('stops for good on 4401 (signed out) and 4403 (removed)', () => {
    for (const [code, reason] of [
      [4401, 'unauthorized'],
      [4403, 'forbidden'],
    ] as const) {
      const { s, ws, timers, fatal } = setup();
      s.start(0);
      ws.last().open();
      ws.last().drop(code);
      timers.advance(60_000);
      expect(ws.sockets).toHaveLength(1);
      expect(fatal).toEqual([reason]);
      expect(s.status).toBe('closed');
    }
  });

  it('gives up on a handshake that hangs and tries again', () => {
    const { s, ws, timers } = setup();
    s.start(0);
    timers.advance(10_000);
    expect(ws.sockets[0].closedByClient).toBeDefined();
    expect(s.status).toBe('reconnecting');
    timers.advance(10_000);
    expect(ws.sockets.length).toBeGreaterThanOrEqual(2);
  });

  it('reconnectNow skips the wait', () => {
    const { s, ws } = setup();
    s.start(0);
    ws.last().drop(1006);
    s.reconnectNow();
    expect(ws.sockets).toHaveLength(2);
  });

  it('stop closes cleanly and never reconnects', () => {
    const { s, ws, timers } = setup();
    s.start(0);
    ws.last().open();
    s.stop();
    expect(ws.last().closedByClient).toBe(1000);
    ws.last().drop(1000);
    timers.advance(60_000);
    expect(ws.sockets).toHaveLength(1);
    expect(s.status).toBe('closed');
  });
});

describe('roomSocketURL', () => {
  it('uses wss on https and carries the ticket and after_seq, never a token', () => {
    expect(roomSocketURL({ protocol: 'https:', host: 'chat.example:8443' }, 12, 'a b', 7)).toBe(
      'wss://chat.example:8443/ws/rooms/12?ticket=a+b&after_seq=7',
    );
    expect(roomSocketURL({ protocol: 'http:', host: 'localhost:8000' }, 1, 't', 0)).toBe('ws://localhost:8000/ws/rooms/1?ticket=t&after_seq=0');
  });
});

describe('RoomSocket with an asynchronous URL (a ticket per connection)', () => {
  function asyncSetup(url: (after: number) => Promise<string>) {
    const timers = new FakeTimers();
    const ws = fakeFactory();
    const statuses: Status[] = [];
    const s = new RoomSocket({ url, userId: ME, factory: ws.factory, timers, random: () => 0.5, onStatus: (st) => statuses.push(st) });
    return { s, timers, ws, statuses };
  }
  const flush = () => new Promise((r) => setTimeout(r, 0));

  it('waits for the URL, then connects with a fresh ticket each time', async () => {
    let n = 0;
    const { s, ws, timers } = asyncSetup(async (after) => `ws://x/ws/rooms/1?ticket=T${++n}&after_seq=${after}`);
    s.start(5);
    expect(ws.sockets).toHaveLength(0);
    await flush();
    expect(ws.last().url).toBe('ws://x/ws/rooms/1?ticket=T1&after_seq=5');
    ws.last().open();
    ws.last().drop(1006);
    timers.advance(10_000);
    await flush();
    expect(ws.sockets).toHaveLength(2);
    expect(new URL(ws.last().url).searchParams.get('ticket')).toBe('T2');
  });

  it('a failed ticket request counts as a failed attempt and is retried', async () => {
    let fail = true;
    const { s, ws, timers, statuses } = asyncSetup(async () => {
      if (fail) throw new Error('offline');
      return 'ws://x/ws/rooms/1?ticket=T&after_seq=0';
    });
    s.start(0);
    await flush();
    expect(ws.sockets).toHaveLength(0);
    expect(s.status).toBe('reconnecting');
    fail = false;
    timers.advance(10_000);
    await flush();
    expect(ws.sockets).toHaveLength(1);
    expect(statuses).toContain('reconnecting');
  });

  it('a URL that arrives after stop() opens nothing', async () => {
    let release: (u: string) => void = () => {};
    const { s, ws } = asyncSetup(() => new Promise<string>((r) => (release = r)));
    s.start(0);
    s.stop();
    release('ws://x/ws/rooms/1?ticket=T&after_seq=0');
    await flush();
    expect(ws.sockets).toHaveLength(0);
  });
});

describe('RoomSocket gap fill', () => {
  function gapSetup(store: ReturnType<typeof msg>[]) {
    const timers = new FakeTimers();
    const ws = fakeFactory();
    const events: ServerEvent[] = [];
    const asked: number[] = [];
    const s = new RoomSocket({
      url: (after) => `ws://x/ws/rooms/1?after_seq=${after}`,
      userId: ME,
      factory: ws.factory,
      timers,
      random: () => 0.5,
      now: () => timers.now,
      onEvent: (e) => events.push(e),
      gapWaitMs: 3000,
      fetchAfter: async (after) => {
        asked.push(after);
        return store.filter((m) => m.seq > after);
      },
    });
    const flush = () => new Promise((r) => setTimeout(r, 0));
    return { s, timers, ws, events, asked, flush };
  }
  const seqsOf = (events: ServerEvent[]) => events.flatMap((e) => (e.type === 'message' ? [e.seq] : []));

  it('fetches the missing range when a jump in seq stays open', async () => {
    const store = [msg(1, 1), msg(2, 2), msg(3, 3)];
    const { s, timers, ws, events, asked, flush } = gapSetup(store);
    s.start(0);
    ws.last().open();
    ws.last().emit({ type: 'message', ...msg(1, 1) });
    ws.last().emit({ type: 'message', ...msg(3, 3) }); // seq 2 never comes
    timers.advance(2999);
    expect(asked).toEqual([]);
    timers.advance(1);
    await flush();
    expect(asked).toEqual([1]);
    expect(seqsOf(events)).toContain(2);
    expect(s.seq.resumeFrom).toBe(3);
  });

  it('does not fetch when the missing seq arrives in time', async () => {
    const { s, timers, ws, asked, flush } = gapSetup([]);
    s.start(0);
    ws.last().open();
    ws.last().emit({ type: 'message', ...msg(2, 2) });
    ws.last().emit({ type: 'message', ...msg(4, 4) });
    ws.last().emit({ type: 'message', ...msg(3, 3) });
    timers.advance(10_000);
    await flush();
    expect(asked).toEqual([]);
  });
});
