// A room opened at a message (a search hit): the page around it, paging
// both ways, and live messages held back until the list reaches the end.
import { describe, expect, it } from 'vitest';
import { aroundEnds, initialRoomState, liveEnd, NEWER_MAX, roomReducer, type RoomAction, type RoomState } from './roomReducer';
import type { Message, ServerEvent } from '../api/types';
import { change, msg } from '../test/fakes';

const run = (actions: RoomAction[], s: RoomState = initialRoomState(1)) => actions.reduce(roomReducer, s);
const live = (seq: number): RoomAction => ({ type: 'event', event: { type: 'message', ...msg(seq, seq) } as ServerEvent, now: 0 });
const seqs = (list: readonly Message[]) => list.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Messages from..to (ids are seqs), newest first as a history page. */
const newestFirst = (from: number, to: number) => range(from, to).reverse().map((q) => msg(q, q));
const oldestFirst = (from: number, to: number) => range(from, to).map((q) => msg(q, q));

/** The server's page around target in a room of messages 1..last (application/messages.go: around). */
function serverAround(target: number, limit: number, last: number): Message[] {
  const older = range(1, target - 1).reverse().slice(0, limit - 1);
  const newer = range(target + 1, last).slice(0, limit - 1);
  let k = Math.min(older.length, Math.floor(limit / 2));
  const j = Math.min(newer.length, limit - 1 - k);
  k = Math.min(older.length, limit - 1 - j);
  return [...newer.slice(0, j).reverse(), target, ...older.slice(0, k)].map((q) => msg(q, q));
}

describe('aroundEnds', () => {
  it('never says a side has ended while it has more, and a short page holds everything', () => {
    for (let last = 1; last <= 25; last++) {
      for (let limit = 1; limit <= 12; limit++) {
        for (let target = 1; target <= last; target++) {
          const page = serverAround(target, limit, last);
          const ends = aroundEnds(page, target, limit);
          const s = seqs(page);
          if (Math.min(...s) > 1) expect(ends.older, `older of ${target} in 1..${last} by ${limit}`).toBe(true);
          if (Math.max(...s) < last) expect(ends.newer, `newer of ${target} in 1..${last} by ${limit}`).toBe(true);
          if (page.length < limit) expect(ends).toEqual({ older: false, newer: false });
        }
      }
    }
  });

  it('tells a side that got less than its half has nothing more', () => {
    expect(aroundEnds(serverAround(98, 10, 100), 98, 10)).toEqual({ older: true, newer: false });
    expect(aroundEnds(serverAround(3, 10, 100), 3, 10)).toEqual({ older: false, newer: true });
    expect(aroundEnds(serverAround(50, 10, 100), 50, 10)).toEqual({ older: true, newer: true });
  });
});

describe('a room opened at a message', () => {
  it('holds live messages back from a list far from the end, then joins them when paging forward reaches it', () => {
    let s = run([{ type: 'reset', roomId: 1, around: 30 }, live(101)]);
    expect(s).toMatchObject({ detached: true, target: 30, messages: [] });
    s = run([{ type: 'around', messages: serverAround(30, 10, 100), limit: 10, target: 30 }, live(102)], s);
    expect(seqs(s.messages)).toEqual(range(25, 34));
    expect(s).toMatchObject({ detached: true, hasMore: true, historyLoaded: true, target: 30 });
    expect(seqs(s.newer)).toEqual([101, 102]);
    // A change of a message shown applies while detached.
    s = run([{ type: 'event', event: change('message_edited', 103, 30, { content: 'fixed' }), now: 0 }], s);
    expect(s.messages.find((m) => m.id === 30)?.content).toBe('fixed');
    // A full page forward: still not the end.
    s = run([{ type: 'newer', messages: oldestFirst(35, 44), limit: 10 }], s);
    expect(s.detached).toBe(true);
    expect(seqs(s.messages)).toEqual(range(25, 44));
    // A short one is the end: what came live since follows, once.
    s = run([{ type: 'newer', messages: oldestFirst(45, 101), limit: 100 }], s);
    expect(s.detached).toBe(false);
    expect(seqs(s.messages)).toEqual(range(25, 102));
    expect(s.newer).toEqual([]);
    s = run([live(104)], s);
    expect(seqs(s.messages).slice(-2)).toEqual([102, 104]);
  });

  it('is at the end at once when the page reaches it', () => {
    const s = run([{ type: 'reset', roomId: 1, around: 98 }, live(100), live(101), { type: 'around', messages: serverAround(98, 10, 100), limit: 10, target: 98 }]);
    expect(s.detached).toBe(false);
    expect(seqs(s.messages)).toEqual(range(91, 101));
  });

  it('pages older history while detached', () => {
    const s = run([
      { type: 'reset', roomId: 1, around: 30 },
      { type: 'around', messages: serverAround(30, 10, 100), limit: 10, target: 30 },
      { type: 'history', messages: newestFirst(15, 24), limit: 10 },
    ]);
    expect(seqs(s.messages)).toEqual(range(15, 34));
    expect(s).toMatchObject({ detached: true, hasMore: true });
    expect(run([{ type: 'history', messages: newestFirst(1, 14), limit: 20 }], s).hasMore).toBe(false);
  });

  it('jumps to the newest page, with what came live after it, and starts the view over', () => {
    let s = run([{ type: 'reset', roomId: 1, around: 30 }, { type: 'around', messages: serverAround(30, 10, 100), limit: 10, target: 30 }, live(101), live(102)]);
    const epoch = s.epoch;
    s = run([{ type: 'newest', messages: newestFirst(92, 101), limit: 10 }], s);
    expect(seqs(s.messages)).toEqual(range(92, 102));
    expect(s).toMatchObject({ detached: false, hasMore: true, target: null, epoch: epoch + 1, newer: [] });
  });

  it('when live messages were dropped past the list, stays detached until a page gets to them', () => {
    let s = run([{ type: 'reset', roomId: 1, around: 30 }, { type: 'around', messages: serverAround(30, 10, 100), limit: 10, target: 30 }]);
    s = run(range(101, 100 + NEWER_MAX + 5).map(live), s);
    expect(s.newer).toHaveLength(NEWER_MAX);
    expect(s).toMatchObject({ newerTrimmed: true });
    expect(s.newer[0].seq).toBe(106);
    // The page was read before 101..105 came: they are neither in it nor held.
    s = run([{ type: 'newer', messages: oldestFirst(35, 40), limit: 10 }], s);
    expect(s.detached).toBe(true);
    s = run([{ type: 'newer', messages: oldestFirst(41, 110), limit: 100 }], s);
    expect(s.detached).toBe(false);
    expect(seqs(s.messages)).toEqual(range(25, 100 + NEWER_MAX + 5));
  });

  it('anchors a file shared while detached at the live end, not after the list', () => {
    const s = run([
      { type: 'reset', roomId: 1, around: 30 },
      { type: 'around', messages: serverAround(30, 10, 100), limit: 10, target: 30 },
      live(101),
      { type: 'event', event: { type: 'file_shared', room_id: 1, user_id: 2, file_id: 5, file_url: '/f/5', filename: 'a.txt', content_type: 'text/plain', size: 1 }, now: 0 },
    ]);
    expect(liveEnd(s)).toBe(101);
    expect(s.files[0].anchor_seq).toBe(101);
  });

  it('shows a message the list holds without reloading', () => {
    let s = run([{ type: 'history', messages: newestFirst(1, 10), limit: 50 }]);
    expect(s.target).toBeNull();
    s = run([{ type: 'target', id: 4 }], s);
    expect(s.target).toBe(4);
    expect(run([{ type: 'target_shown' }], s).target).toBeNull();
  });
});
