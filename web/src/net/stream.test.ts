import { describe, expect, it } from 'vitest';
import { UserStream, streamURL, RESUME_MAX_ROOMS, type Status, type UserStreamOptions } from './stream';
import type { Pending } from '../state/pending';
import type { Message, ServerEvent } from '../api/types';
import { change, FakeTimers, fakeFactory, msg, type Frame } from '../test/fakes';
import { backoffCeiling } from './backoff';

const ME = 7;
const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(opts: Partial<UserStreamOptions> = {}) {
  const timers = new FakeTimers();
  const ws = fakeFactory();
  let n = 0;
  const events: ServerEvent[] = [];
  const statuses: Status[] = [];
  const saved: [number, readonly Pending[]][] = [];
  let fatal = 0;
  const s = new UserStream({
    url: () => 'ws://x/ws?ticket=T&resume=1',
    userId: ME,
    factory: ws.factory,
    timers,
    random: () => 0.5,
    now: () => timers.now,
    newId: () => `c${++n}`,
    savePending: (roomId, q) => saved.push([roomId, q]),
    onFatal: () => fatal++,
    ...opts,
  });
  s.listen((e) => events.push(e));
  s.onStatus((st) => statuses.push(st));
  return { s, timers, ws, events, statuses, saved, fatal: () => fatal };
}

/** Holds a room whose history ends at seq, as an open view does. */
function holdRoom(s: UserStream, roomId: number, seq: number) {
  s.hold(roomId);
  s.loaded(roomId, seq);
}

const message = (id: number, seq: number, extra: Parameters<typeof msg>[2] = {}): ServerEvent => ({ type: 'message', ...msg(id, seq, extra) });
const nonResume = (frames: Frame[]) => frames.filter((f) => f.type !== 'resume');

describe('UserStream resume', () => {
  it('sends first a resume frame with the last seq of each room whose messages it holds', () => {
    const { s, ws } = setup();
    holdRoom(s, 1, 42);
    holdRoom(s, 3, 0);
    s.hold(5); // its history is still loading: not resumed
    s.start();
    ws.last().open();
    expect(ws.last().frames()).toEqual([{ type: 'resume', rooms: { '1': 42, '3': 0 } }]);
  });

  it('resumes after the highest seq below which nothing is missing', () => {
    const { s, ws, timers } = setup();
    holdRoom(s, 1, 0);
    s.start();
    ws.last().open();
    [1, 2, 3, 5].forEach((q) => ws.last().emit(message(100 + q, q)));
    ws.last().drop(1006);
    expect(s.status).toBe('reconnecting');
    timers.advance(10_000);
    ws.last().open();
    expect(ws.last().frames()[0]).toEqual({ type: 'resume', rooms: { '1': 3 } });
  });

  it('joins live events seen while the history loaded to the history', () => {
    const { s, ws, timers } = setup();
    s.start();
    ws.last().open();
    s.hold(1);
    ws.last().emit(message(11, 11));
    ws.last().emit(message(12, 12));
    s.loaded(1, 10);
    expect(s.resumeFrom(1)).toBe(12);
    ws.last().drop(1006);
    timers.advance(10_000);
    ws.last().open();
    expect(ws.last().frames()[0]).toEqual({ type: 'resume', rooms: { '1': 12 } });
  });

  it('skips seqs the server proves absent (the first replayed message jumps ahead)', () => {
    const { s, ws, timers } = setup();
    holdRoom(s, 1, 10);
    s.start();
    ws.last().open();
    ws.last().emit(message(200, 14));
    ws.last().emit(message(201, 15));
    ws.last().drop(1001);
    timers.advance(10_000);
    ws.last().open();
    expect(ws.last().frames()[0]).toEqual({ type: 'resume', rooms: { '1': 15 } });
  });

  it('after ready, a jump is a gap, not proof', () => {
    const { s, ws } = setup();
    holdRoom(s, 1, 10);
    s.start();
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [{ room_id: 1, last_seq: 10, last_read_seq: 10, unread_count: 0 }] });
    ws.last().emit(message(200, 14));
    expect(s.resumeFrom(1)).toBe(10);
  });

  it('nothing goes out ahead of the resume frame, not even from a listener told of the open', () => {
    const { s, ws } = setup();
    s.onStatus((st) => st === 'open' && s.typing(3));
    s.start();
    ws.last().open();
    expect(ws.last().frames().map((f) => f.type)).toEqual(['resume', 'typing']);
  });

  it('keeps at most the server’s limit of rooms, the most recently loaded', () => {
    const { s, ws } = setup();
    for (let id = 1; id <= RESUME_MAX_ROOMS + 5; id++) holdRoom(s, id, id);
    s.start();
    ws.last().open();
    const rooms = ws.last().frames()[0].rooms!;
    expect(Object.keys(rooms)).toHaveLength(RESUME_MAX_ROOMS);
    expect(rooms['1']).toBeUndefined();
    expect(rooms[String(RESUME_MAX_ROOMS + 5)]).toBe(RESUME_MAX_ROOMS + 5);
  });

  it('forgets a released room', () => {
    const { s, ws } = setup();
    holdRoom(s, 1, 4);
    s.release(1);
    s.start();
    ws.last().open();
    expect(ws.last().frames()[0]).toEqual({ type: 'resume', rooms: {} });
    expect(s.resumeFrom(1)).toBeNull();
  });

  it('ignores events from a replaced connection and junk frames', () => {
    const { s, ws, timers, events } = setup();
    holdRoom(s, 1, 0);
    s.start();
    const first = ws.last();
    first.open();
    first.onmessage?.({ data: 'garbage' });
    first.drop(1006);
    timers.advance(10_000);
    first.emit(message(9, 9));
    expect(events).toHaveLength(0);
    expect(s.resumeFrom(1)).toBe(0);
  });
});

describe('UserStream routing', () => {
  it('hands a room’s events to that room’s listeners, and roomless ones to every room', () => {
    const { s, ws } = setup();
    const one: string[] = [];
    const two: string[] = [];
    const all: string[] = [];
    const stopOne = s.listen((e) => one.push(e.type), 1);
    s.listen((e) => two.push(e.type), 2);
    s.listen((e) => all.push(e.type));
    s.start();
    ws.last().open();
    ws.last().emit(message(1, 1, { room_id: 1 }));
    ws.last().emit({ type: 'typing', room_id: 2, user_id: 3, username: 'cy' });
    ws.last().emit({ type: 'read_receipt', room_id: 1, user_id: 3, seq: 1 });
    ws.last().emit({ type: 'presence', user_id: 3, username: 'cy', online: true });
    ws.last().emit({ type: 'room_created', room_id: 9, room: { id: 9, name: 'new', is_private: false } });
    expect(one).toEqual(['message', 'read_receipt', 'presence']);
    expect(two).toEqual(['typing', 'presence']);
    expect(all).toEqual(['message', 'typing', 'read_receipt', 'presence', 'room_created']);
    stopOne();
    ws.last().emit(message(2, 2, { room_id: 1 }));
    expect(one).toHaveLength(3);
  });

  it('sends typing with its room, only while open', () => {
    const { s, ws } = setup();
    s.start();
    expect(s.typing(4)).toBe(false);
    ws.last().open();
    expect(s.typing(4)).toBe(true);
    expect(nonResume(ws.last().frames())).toEqual([{ type: 'typing', room_id: 4 }]);
  });
});

describe('UserStream pending queue', () => {
  it('queues every room’s messages while offline and sends them after the resume frame', () => {
    const { s, ws } = setup();
    s.start();
    s.send(1, 'one');
    s.send(2, 'two');
    s.send(1, 'three');
    expect(ws.last().sent).toHaveLength(0);
    ws.last().open();
    expect(ws.last().frames()).toEqual([
      { type: 'resume', rooms: {} },
      { type: 'message', room_id: 1, content: 'one', client_id: 'c1' },
      { type: 'message', room_id: 1, content: 'three', client_id: 'c3' },
      { type: 'message', room_id: 2, content: 'two', client_id: 'c2' },
    ]);
    expect([...s.pending(1), ...s.pending(2)].every((p) => p.sent)).toBe(true);
  });

  it('sends at once when open and removes on the ack with the same client_id from this user', () => {
    const { s, ws, saved } = setup();
    s.start();
    ws.last().open();
    const p = s.send(1, 'hi');
    expect(nonResume(ws.last().frames())).toEqual([{ type: 'message', room_id: 1, content: 'hi', client_id: p.client_id }]);
    // someone else's message with a colliding client_id is not our ack
    ws.last().emit(message(1, 1, { user_id: 99, client_id: p.client_id }));
    expect(s.pending(1)).toHaveLength(1);
    // nor is ours in another room
    ws.last().emit(message(2, 1, { user_id: ME, client_id: p.client_id, room_id: 2 }));
    expect(s.pending(1)).toHaveLength(1);
    ws.last().emit(message(3, 2, { user_id: ME, client_id: p.client_id, content: 'hi' }));
    expect(s.pending(1)).toHaveLength(0);
    expect(saved.slice(-1)[0]).toEqual([1, []]);
  });

  it('resends unacknowledged messages of every room after a reconnect, once per connection', () => {
    const { s, ws, timers } = setup();
    s.start();
    ws.last().open();
    s.send(1, 'lost?');
    s.send(2, 'lost too?');
    ws.last().drop(1006);
    expect(s.pending(1)[0].sent).toBe(false);
    timers.advance(10_000);
    ws.last().open();
    expect(nonResume(ws.last().frames()).map((f) => [f.room_id, f.client_id])).toEqual([
      [1, 'c1'],
      [2, 'c2'],
    ]);
    // The server keeps one copy per client_id: the retry is answered with the stored one.
    ws.last().emit({ ...message(5, 5, { user_id: ME, client_id: 'c1' }), duplicate: true } as ServerEvent);
    ws.last().emit(message(6, 9, { user_id: ME, client_id: 'c2', room_id: 2 }));
    expect(s.pending(1)).toHaveLength(0);
    expect(s.pending(2)).toHaveLength(0);
    ws.last().drop(1006);
    timers.advance(10_000);
    ws.last().open();
    expect(nonResume(ws.last().frames())).toEqual([]);
  });

  it('an ack in a room with nothing pending changes and stores nothing', () => {
    const { s, ws, saved } = setup();
    const heard: number[] = [];
    s.onPending((roomId) => heard.push(roomId));
    s.start();
    ws.last().open();
    ws.last().emit(message(1, 1, { user_id: ME, client_id: 'from another tab' }));
    expect(saved).toEqual([]);
    expect(heard).toEqual([]);
  });

  it('restores stored queues and sends them on the first open', () => {
    const { s, ws } = setup({ pending: new Map([[3, [{ client_id: 'old', content: 'from before reload', created: 0, sent: true }]]]) });
    expect(s.pending(3)[0].sent).toBe(false);
    s.start();
    ws.last().open();
    expect(nonResume(ws.last().frames())).toEqual([{ type: 'message', room_id: 3, content: 'from before reload', client_id: 'old' }]);
  });

  it('discards only what has not gone out', () => {
    const { s, ws } = setup();
    s.start();
    const a = s.send(1, 'a');
    expect(s.discard(1, a.client_id)).toBe(true);
    ws.last().open();
    const b = s.send(1, 'b');
    expect(s.discard(1, b.client_id)).toBe(false);
    expect(s.pending(1).map((p) => p.content)).toEqual(['b']);
  });

  it('drops what waits for a room the user lost', () => {
    const { s, ws } = setup();
    holdRoom(s, 1, 3);
    s.start();
    s.send(1, 'too late');
    ws.last().emit({ type: 'room_removed', room_id: 1, deleted: false });
    expect(s.pending(1)).toEqual([]);
    expect(s.resumeFrom(1)).toBeNull();
    ws.last().open();
    expect(ws.last().frames()).toEqual([{ type: 'resume', rooms: {} }]);
  });
});

describe('UserStream read pointers', () => {
  it('sends one read frame with the highest seq asked for within the delay', () => {
    const { s, ws, timers } = setup();
    s.start();
    ws.last().open();
    s.read(1, 3);
    s.read(1, 5);
    s.read(1, 4);
    s.read(2, 8);
    timers.advance(499);
    expect(nonResume(ws.last().frames())).toEqual([]);
    timers.advance(1);
    expect(nonResume(ws.last().frames())).toEqual([
      { type: 'read', room_id: 1, seq: 5 },
      { type: 'read', room_id: 2, seq: 8 },
    ]);
  });

  it('never sends a seq at or below one already sent or confirmed', () => {
    const { s, ws, timers } = setup();
    s.start();
    ws.last().open();
    s.read(1, 5);
    timers.advance(500);
    s.read(1, 5);
    s.read(1, 2);
    timers.advance(500);
    // Another tab moved the pointer further.
    ws.last().emit({ type: 'read', room_id: 1, last_read_seq: 9, unread_count: 0 });
    s.read(1, 7);
    timers.advance(500);
    s.read(1, 10);
    timers.advance(500);
    expect(nonResume(ws.last().frames()).map((f) => f.seq)).toEqual([5, 10]);
  });

  it('keeps a pointer asked for offline, and one never confirmed, for the next connection', () => {
    const { s, ws, timers } = setup();
    s.start();
    s.read(1, 4);
    timers.advance(500);
    ws.last().open();
    expect(nonResume(ws.last().frames())).toEqual([{ type: 'read', room_id: 1, seq: 4 }]);
    s.read(2, 6);
    timers.advance(500);
    ws.last().emit({ type: 'read', room_id: 1, last_read_seq: 4, unread_count: 0 });
    ws.last().drop(1006);
    timers.advance(10_000);
    ws.last().open();
    // Room 1's pointer was confirmed; room 2's may have been lost with the socket.
    expect(nonResume(ws.last().frames())).toEqual([{ type: 'read', room_id: 2, seq: 6 }]);
  });

  it('forgets the pointer of a room the user lost: a room joined again starts afresh', () => {
    const { s, ws, timers } = setup();
    s.start();
    ws.last().open();
    s.read(1, 9);
    timers.advance(500);
    ws.last().emit({ type: 'room_removed', room_id: 1, deleted: false });
    s.read(1, 3);
    timers.advance(500);
    expect(nonResume(ws.last().frames()).map((f) => f.seq)).toEqual([9, 3]);
  });

  it('takes the pointers in ready as confirmed', () => {
    const { s, ws, timers } = setup();
    s.start();
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [{ room_id: 1, last_seq: 20, last_read_seq: 12, unread_count: 3 }] });
    s.read(1, 12);
    timers.advance(500);
    expect(nonResume(ws.last().frames())).toEqual([]);
  });
});

describe('UserStream reconnect', () => {
  it('backs off exponentially with jitter up to the cap, and resets after an open', () => {
    const { s, ws, timers } = setup({ random: () => 0 });
    s.start();
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

  it('reconnects after 1001, 1006, 1008 and 1013', () => {
    for (const code of [1001, 1006, 1008, 1013]) {
      const { s, ws, timers } = setup();
      s.start();
      ws.last().open();
      ws.last().drop(code);
      timers.advance(10_000);
      expect(ws.sockets).toHaveLength(2);
      expect(s.status).toBe('reconnecting');
    }
  });

  it('stops for good on 4401 (the session is over)', () => {
    const { s, ws, timers, fatal } = setup();
    s.start();
    ws.last().open();
    ws.last().drop(4401);
    timers.advance(60_000);
    expect(ws.sockets).toHaveLength(1);
    expect(fatal()).toBe(1);
    expect(s.status).toBe('closed');
  });

  it('stops for good on 4423 (the account was suspended) and says which', () => {
    const codes: number[] = [];
    const { s, ws, timers } = setup({ onFatal: (code) => codes.push(code) });
    s.start();
    ws.last().open();
    ws.last().drop(4423);
    timers.advance(60_000);
    expect(ws.sockets).toHaveLength(1);
    expect(codes).toEqual([4423]);
    expect(s.status).toBe('closed');
  });

  it('gives up on a handshake that hangs and tries again', () => {
    const { s, ws, timers } = setup();
    s.start();
    timers.advance(10_000);
    expect(ws.sockets[0].closedByClient).toBeDefined();
    expect(s.status).toBe('reconnecting');
    timers.advance(10_000);
    expect(ws.sockets.length).toBeGreaterThanOrEqual(2);
  });

  it('stop closes cleanly and never reconnects', () => {
    const { s, ws, timers, statuses } = setup();
    s.start();
    ws.last().open();
    s.stop();
    expect(ws.last().closedByClient).toBe(1000);
    ws.last().drop(1000);
    timers.advance(60_000);
    expect(ws.sockets).toHaveLength(1);
    expect(statuses).toEqual(['connecting', 'open', 'closed']);
  });

  it('fetches a fresh URL (a new ticket) for each attempt, and retries a failed one', async () => {
    let n = 0;
    let fail = true;
    const { s, ws, timers } = setup({
      url: async () => {
        if (fail) throw new Error('offline');
        return `ws://x/ws?ticket=T${++n}&resume=1`;
      },
    });
    s.start();
    await flush();
    expect(ws.sockets).toHaveLength(0);
    expect(s.status).toBe('reconnecting');
    fail = false;
    timers.advance(10_000);
    await flush();
    expect(ws.last().url).toBe('ws://x/ws?ticket=T1&resume=1');
    ws.last().open();
    ws.last().drop(1006);
    timers.advance(10_000);
    await flush();
    expect(ws.last().url).toBe('ws://x/ws?ticket=T2&resume=1');
  });

  it('a URL that arrives after stop() opens nothing', async () => {
    let release: (u: string) => void = () => {};
    const { s, ws } = setup({ url: () => new Promise<string>((r) => (release = r)) });
    s.start();
    s.stop();
    release('ws://x/ws?ticket=T&resume=1');
    await flush();
    expect(ws.sockets).toHaveLength(0);
  });
});

describe('UserStream gap fill', () => {
  function gapSetup(store: Message[]) {
    const asked: [number, number][] = [];
    const t = setup({
      gapWaitMs: 3000,
      fetchAfter: async (roomId, after) => {
        asked.push([roomId, after]);
        return store.filter((m) => m.room_id === roomId && m.seq > after);
      },
    });
    return { ...t, asked };
  }
  const seqsOf = (events: ServerEvent[]) => events.flatMap((e) => (e.type === 'message' ? [e.seq] : []));

  it('fetches the missing range of a held room when a jump in seq stays open', async () => {
    const { s, timers, ws, events, asked } = gapSetup([msg(1, 1), msg(2, 2), msg(3, 3)]);
    holdRoom(s, 1, 0);
    s.start();
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [] });
    ws.last().emit(message(1, 1));
    ws.last().emit(message(3, 3)); // seq 2 never comes
    timers.advance(2999);
    expect(asked).toEqual([]);
    timers.advance(1);
    await flush();
    expect(asked).toEqual([[1, 1]]);
    expect(seqsOf(events)).toContain(2);
    expect(s.resumeFrom(1)).toBe(3);
  });

  it('does not fetch when the missing seq arrives in time, nor for rooms it does not hold', async () => {
    const { s, timers, ws, asked } = gapSetup([]);
    holdRoom(s, 1, 1);
    s.start();
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [] });
    ws.last().emit(message(3, 3));
    ws.last().emit(message(2, 2));
    ws.last().emit(message(9, 9, { room_id: 5 }));
    timers.advance(10_000);
    await flush();
    expect(asked).toEqual([]);
  });

  it('fetches what ready says exists beyond what the replay brought', async () => {
    const { s, timers, ws, asked } = gapSetup([msg(5, 5)]);
    holdRoom(s, 1, 4);
    s.start();
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [{ room_id: 1, last_seq: 5, last_read_seq: 4, unread_count: 1 }] });
    timers.advance(3000);
    await flush();
    expect(asked).toEqual([[1, 4]]);
    expect(s.resumeFrom(1)).toBe(5);
  });
});

describe('UserStream and the changes of messages', () => {
  const changed = (seq: number, roomId = 1): ServerEvent => ({ ...change('reaction_added', seq, 1), room_id: roomId });

  it('a change moves the resume point like a message does, and is handed to the room', () => {
    const { s, ws, events } = setup();
    holdRoom(s, 1, 10);
    s.start();
    ws.last().open();
    ws.last().emit(message(11, 11));
    ws.last().emit(changed(12));
    ws.last().emit({ ...change('message_edited', 13, 11), room_id: 1 });
    ws.last().emit({ ...change('message_deleted', 14, 11), room_id: 1 });
    expect(s.resumeFrom(1)).toBe(14);
    expect(events.map((e) => e.type)).toEqual(['message', 'reaction_added', 'message_edited', 'message_deleted']);
  });

  it('a replay that starts with a change further ahead proves the seqs between absent', () => {
    const { s, ws } = setup();
    holdRoom(s, 1, 10);
    s.start();
    ws.last().open();
    ws.last().emit(changed(14));
    expect(s.resumeFrom(1)).toBe(14);
  });

  it('a room held after changes were seen resumes from them: its history shows them', () => {
    const { s, ws } = setup();
    s.start();
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [{ room_id: 1, last_seq: 12, last_read_seq: 12, unread_count: 0 }] });
    ws.last().emit(changed(13));
    // The view opens: its newest message is seq 10, the two changes after it are in its page.
    holdRoom(s, 1, 10);
    expect(s.resumeFrom(1)).toBe(13);
  });

  it('a gap of changes the REST catch-up cannot fill is filled by a resume, once', async () => {
    const asked: number[] = [];
    const { s, ws, timers } = setup({
      gapWaitMs: 3000,
      fetchAfter: async (_, after) => {
        asked.push(after);
        return [msg(14, 14)].filter((m) => m.seq > after);
      },
    });
    holdRoom(s, 1, 10);
    s.start();
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [] });
    ws.last().emit(message(11, 11));
    ws.last().emit(message(14, 14)); // changes 12 and 13 never come
    timers.advance(3000);
    await flush();
    expect(asked).toEqual([11]);
    // The socket is opened again, and resumes from before the missing changes.
    expect(ws.sockets).toHaveLength(2);
    ws.last().open();
    expect(ws.last().frames()[0]).toEqual({ type: 'resume', rooms: { '1': 11 } });
    ws.last().emit(changed(12));
    ws.last().emit(changed(13));
    ws.last().emit({ type: 'ready', rooms: [] });
    expect(s.resumeFrom(1)).toBe(14);
  });

  it('stops waiting for changes a resume from the same place did not bring', async () => {
    const { s, ws, timers } = setup({ gapWaitMs: 3000, fetchAfter: async () => [] });
    holdRoom(s, 1, 10);
    s.start();
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [{ room_id: 1, last_seq: 12, last_read_seq: 10, unread_count: 0 }] });
    timers.advance(3000);
    await flush();
    expect(ws.sockets).toHaveLength(2);
    ws.last().open();
    ws.last().emit({ type: 'ready', rooms: [{ room_id: 1, last_seq: 12, last_read_seq: 10, unread_count: 0 }] });
    timers.advance(3000);
    await flush();
    expect(ws.sockets).toHaveLength(2);
    expect(s.resumeFrom(1)).toBe(12);
  });

  it('sends a reply and attached files with the message', () => {
    const { s, ws } = setup();
    s.start();
    ws.last().open();
    s.send(1, 'see attached', { reply_to: 4, file_ids: [8] });
    expect(nonResume(ws.last().frames())).toEqual([{ type: 'message', room_id: 1, content: 'see attached', client_id: 'c1', reply_to: 4, file_ids: [8] }]);
  });
});

describe('streamURL', () => {
  it('uses wss on https and carries the ticket and resume=1, never a token', () => {
    expect(streamURL({ protocol: 'https:', host: 'chat.example:8443' }, 'a b')).toBe('wss://chat.example:8443/ws?ticket=a+b&resume=1');
    expect(streamURL({ protocol: 'http:', host: 'localhost:8000' }, 't')).toBe('ws://localhost:8000/ws?ticket=t&resume=1');
  });
});

describe('UserStream and the network', () => {
  it('goes offline at once when the browser says so, and waits for the network before trying again', () => {
    const { s, ws, timers, statuses } = setup();
    s.start();
    ws.last().open();
    s.setOnline(false);
    expect(s.status).toBe('offline');
    expect(ws.last().closedByClient).toBeDefined();
    // A late close of the old socket changes nothing.
    ws.last().drop(1006);
    timers.advance(60_000);
    expect(ws.sockets).toHaveLength(1);
    expect(s.status).toBe('offline');
    s.setOnline(true);
    expect(ws.sockets).toHaveLength(2);
    expect(s.status).toBe('reconnecting');
    ws.last().open();
    expect(statuses).toEqual(['connecting', 'open', 'offline', 'reconnecting', 'open']);
  });

  it('keeps what is typed offline and sends it once back online', () => {
    const { s, ws } = setup();
    holdRoom(s, 1, 0);
    s.start();
    ws.last().open();
    s.setOnline(false);
    const p = s.send(1, 'typed offline');
    expect(s.pending(1)).toEqual([p]);
    s.setOnline(true);
    ws.last().open();
    expect(nonResume(ws.last().frames())).toEqual([{ type: 'message', room_id: 1, content: 'typed offline', client_id: p.client_id }]);
  });

  it('marks a message sent on the dropped socket as unsent, so it goes out again', () => {
    const { s, ws } = setup();
    s.start();
    ws.last().open();
    s.send(1, 'in flight');
    expect(s.pending(1)[0].sent).toBe(true);
    s.setOnline(false);
    expect(s.pending(1)[0].sent).toBe(false);
  });

  it('starts offline without trying when the browser has no network', () => {
    const { s, ws } = setup({ online: false });
    s.start();
    expect(s.status).toBe('offline');
    expect(ws.sockets).toHaveLength(0);
    s.setOnline(true);
    expect(ws.sockets).toHaveLength(1);
    expect(s.status).toBe('connecting');
  });

  it('a socket that closes while offline does not schedule attempts', () => {
    const { s, ws, timers } = setup();
    s.start();
    ws.last().open();
    s.setOnline(false);
    s.setOnline(false);
    expect(timers.pendingDelays()).toEqual([]);
    expect(ws.sockets).toHaveLength(1);
  });

  it('back online skips a backoff wait that had started', () => {
    const { s, ws, timers } = setup();
    s.start();
    ws.last().drop(1006);
    expect(timers.pendingDelays()).toHaveLength(1);
    s.setOnline(false);
    expect(timers.pendingDelays()).toEqual([]);
    s.setOnline(true);
    expect(ws.sockets).toHaveLength(2);
  });
});

describe('UserStream heartbeat', () => {
  function beating(answers: boolean[] | 'hang') {
    let probes = 0;
    const probe = () => {
      probes++;
      if (answers === 'hang') return new Promise<boolean>(() => {});
      return Promise.resolve(answers.shift() ?? true);
    };
    const t = setup({ heartbeat: { probe, quietMs: 30_000, ackTimeoutMs: 10_000 } });
    return { ...t, probes: () => probes };
  }

  it('probes a socket that has been quiet, keeps it when the server answers, and asks again later', async () => {
    const { s, ws, timers, probes } = beating([true, true]);
    s.start();
    ws.last().open();
    timers.advance(29_999);
    expect(probes()).toBe(0);
    timers.advance(1);
    expect(probes()).toBe(1);
    await flush();
    expect(s.status).toBe('open');
    timers.advance(30_000);
    expect(probes()).toBe(2);
    expect(ws.sockets).toHaveLength(1);
  });

  it('does not probe while frames keep coming', () => {
    const { s, ws, timers, probes } = beating([]);
    s.start();
    ws.last().open();
    for (let i = 0; i < 10; i++) {
      timers.advance(20_000);
      ws.last().emit({ type: 'presence', user_id: 2, username: 'bob', online: true });
    }
    expect(probes()).toBe(0);
  });

  it('replaces a quiet socket when the server does not answer the probe', async () => {
    const { s, ws, timers } = beating([false]);
    s.start();
    ws.last().open();
    timers.advance(30_000);
    await flush();
    expect(ws.sockets[0].closedByClient).toBeDefined();
    expect(s.status).toBe('reconnecting');
    timers.advance(10_000);
    expect(ws.sockets).toHaveLength(2);
  });

  it('replaces a socket that echoes nothing for a sent message, and sends it again', () => {
    const { s, ws, timers, probes } = beating([]);
    holdRoom(s, 1, 0);
    s.start();
    ws.last().open();
    const p = s.send(1, 'hello?');
    timers.advance(9_999);
    expect(s.status).toBe('open');
    timers.advance(1);
    expect(probes()).toBe(0);
    expect(s.status).toBe('reconnecting');
    expect(s.pending(1)[0].sent).toBe(false);
    timers.advance(10_000);
    ws.last().open();
    expect(nonResume(ws.last().frames())).toEqual([{ type: 'message', room_id: 1, content: 'hello?', client_id: p.client_id }]);
  });

  it('a frame after a send is the answer it waits for', () => {
    const { s, ws, timers } = beating([]);
    s.start();
    ws.last().open();
    s.send(1, 'hello');
    timers.advance(5_000);
    ws.last().emit(message(1, 1, { user_id: ME, client_id: 'c1' }));
    timers.advance(9_000);
    expect(s.status).toBe('open');
    expect(ws.sockets).toHaveLength(1);
  });

  it('an answer to a probe of a socket already gone changes nothing', async () => {
    const { s, ws, timers } = beating('hang');
    s.start();
    ws.last().open();
    timers.advance(30_000);
    s.stop();
    await flush();
    expect(s.status).toBe('closed');
    expect(timers.pendingDelays()).toEqual([]);
  });

  it('stops watching when the socket closes', () => {
    const { s, ws, timers, probes } = beating([]);
    s.start();
    ws.last().open();
    s.stop();
    timers.advance(120_000);
    expect(probes()).toBe(0);
  });
});
