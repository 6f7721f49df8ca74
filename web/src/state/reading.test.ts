import { describe, expect, it } from 'vitest';
import type { Member } from '../api/types';
import { msg } from '../test/fakes';
import { dividerSeq, seenBy } from './reading';

const ME = 7;
const mine = { user_id: ME, username: 'me' };

describe('dividerSeq', () => {
  const history = [msg(1, 10), msg(2, 11, mine), msg(3, 12), msg(4, 13)];

  it('goes above the first message from others after the read pointer the room opened with', () => {
    expect(dividerSeq(history, { readSeq: 10, lastSeq: 13 }, ME, false)).toBe(12);
    expect(dividerSeq(history, { readSeq: 9, lastSeq: 13 }, ME, false)).toBe(10);
  });

  it('is absent when everything was read, or only my own messages are new', () => {
    expect(dividerSeq(history, { readSeq: 13, lastSeq: 13 }, ME, false)).toBeNull();
    expect(dividerSeq(history.slice(0, 2), { readSeq: 10, lastSeq: 11 }, ME, false)).toBeNull();
    expect(dividerSeq(history, null, ME, false)).toBeNull();
  });

  it('ignores messages that arrived while the room was open', () => {
    expect(dividerSeq(history, { readSeq: 11, lastSeq: 11 }, ME, false)).toBeNull();
  });

  it('waits while the first unread message is older than the loaded history', () => {
    expect(dividerSeq(history, { readSeq: 5, lastSeq: 13 }, ME, true)).toBeNull();
    expect(dividerSeq(history, { readSeq: 9, lastSeq: 13 }, ME, true)).toBe(10);
    // the whole history is loaded: the oldest message is the first unread
    expect(dividerSeq(history, { readSeq: 0, lastSeq: 13 }, ME, false)).toBe(10);
  });
});

describe('seenBy', () => {
  const member = (id: number, username: string, last_read_seq?: number): Member => ({ id, username, online: true, last_read_seq });
  const members = [member(ME, 'me', 20), member(2, 'bob', 20), member(3, 'cy', 19), member(4, 'dee', 25), member(5, 'eve'), member(6, 'al', 20)];

  it('lists members whose pointer reached the latest message, but not me nor its author', () => {
    expect(seenBy(members, msg(1, 20), ME).map((m) => m.username)).toEqual(['al', 'dee']);
    expect(seenBy(members, msg(1, 20, { user_id: 4, username: 'dee' }), ME).map((m) => m.username)).toEqual(['al', 'bob']);
  });

  it('is empty without a latest message or anyone ahead of it', () => {
    expect(seenBy(members, undefined, ME)).toEqual([]);
    expect(seenBy(members, msg(1, 30), ME)).toEqual([]);
  });
});
