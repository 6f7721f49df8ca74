import { describe, expect, it } from 'vitest';
import { initialRoomState, mergeMessages, oldestId, roomReducer, typingNames, typingParts, type RoomAction, type RoomState } from './roomReducer';
import type { ServerEvent } from '../api/types';
import { msg } from '../test/fakes';

const run = (actions: RoomAction[], s: RoomState = initialRoomState(1)) => actions.reduce(roomReducer, s);
const ev = (event: ServerEvent, now = 0): RoomAction => ({ type: 'event', event, now });
const ids = (s: RoomState) => s.messages.map((m) => m.id);

describe('messages', () => {
  it('dedupes by id across live events and history', () => {
    const s = run([
      ev({ type: 'message', ...msg(10, 1) }),
      ev({ type: 'message', ...msg(10, 1) }),
      { type: 'history', messages: [msg(11, 2), msg(10, 1)], limit: 50 },
      ev({ type: 'message', ...msg(11, 2) }),
    ]);
    expect(ids(s)).toEqual([10, 11]);
  });

  it('orders by seq whatever the arrival order', () => {
    const s = run([3, 1, 2, 5, 4].map((q) => ev({ type: 'message', ...msg(100 + q, q) })));
    expect(s.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('merges older history pages (newest first) in front', () => {
    const page1 = [50, 49, 48].map((q) => msg(q, q));
    const page2 = [47, 46].map((q) => msg(q, q));
    const s = run([
      { type: 'history', messages: page1, limit: 3 },
      ev({ type: 'message', ...msg(51, 51) }),
      { type: 'history', messages: page2, limit: 3 },
    ]);
    expect(ids(s)).toEqual([46, 47, 48, 49, 50, 51]);
    expect(s.hasMore).toBe(false);
    expect(oldestId(s.messages)).toBe(46);
  });

  it('a full page means more history may exist', () => {
    const s = run([{ type: 'history', messages: [msg(2, 2), msg(1, 1)], limit: 2 }]);
    expect(s.hasMore).toBe(true);
    expect(s.historyLoaded).toBe(true);
  });

  it('ignores events for another room', () => {
    const s = run([ev({ type: 'message', ...msg(1, 1, { room_id: 2 }) })]);
    expect(s.messages).toEqual([]);
  });

  it('mergeMessages returns the same list when nothing is new', () => {
    const a = mergeMessages([], [msg(1, 1)]);
    expect(mergeMessages(a, [msg(1, 1)])).toBe(a);
  });

  it('mergeMessages appends a newer message to the end, keeping the messages it had', () => {
    const a = [msg(1, 1), msg(2, 2)];
    const b = mergeMessages(a, [msg(3, 3)]);
    expect(b.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(b[0]).toBe(a[0]);
    // Not newer: merged in order, once.
    expect(mergeMessages(b, [msg(2, 2)])).toBe(b);
    expect(mergeMessages([msg(1, 1), msg(3, 3)], [msg(2, 2)]).map((m) => m.seq)).toEqual([1, 2, 3]);
  });
});

describe('files', () => {
  const shared = (id: number, thumb?: string): ServerEvent => ({
    type: 'file_shared',
    room_id: 1,
    user_id: 2,
    file_id: id,
    file_url: `/files/${id}?sig=x`,
    filename: 'cat.png',
    content_type: 'image/png',
    size: 10,
    thumbnail_url: thumb,
  });

  it('file_updated patches the thumbnail of a known file', () => {
    const s = run([ev({ type: 'message', ...msg(1, 4) }), ev(shared(7)), ev({ type: 'file_updated', file_id: 7, thumbnail_url: '/t/7' })]);
    expect(s.files).toEqual([expect.objectContaining({ id: 7, thumbnail_url: '/t/7', anchor_seq: 4 })]);
  });

  it('file_updated can mark a preview as failed', () => {
    const s = run([ev(shared(7)), ev({ type: 'file_updated', file_id: 7, thumbnail_status: 'failed' })]);
    expect(s.files[0]).toMatchObject({ thumbnail_status: 'failed', thumbnail_url: null });
  });

  it('file_updated before file_shared is kept and applied on arrival', () => {
    const s = run([ev({ type: 'file_updated', room_id: 1, file_id: 7, thumbnail_url: '/t/7' }), ev(shared(7))]);
    expect(s.files[0].thumbnail_url).toBe('/t/7');
    expect(s.filePatches).toEqual({});
  });

  it('the same file from event, upload and list shows once and keeps its thumbnail and anchor', () => {
    const s = run([
      ev(shared(7)),
      ev({ type: 'file_updated', file_id: 7, thumbnail_url: '/t/7' }),
      { type: 'file_added', file: { id: 7, filename: 'cat.png', content_type: 'image/png', size: 10, file_url: '/f/7', thumbnail_url: null } },
      { type: 'files', files: [{ id: 7, filename: 'cat.png', content_type: 'image/png', size: 10, file_url: '/f/7b', created_at: '2026-11-23T10:00:00Z' }] },
    ]);
    expect(s.files).toHaveLength(1);
    expect(s.files[0]).toMatchObject({ thumbnail_url: '/t/7', anchor_seq: 0, file_url: '/f/7b' });
  });
});

describe('presence and typing', () => {
  it('tracks online members from the list and join/leave events', () => {
    const s = run([
      { type: 'members', members: [{ id: 2, username: 'bob', online: false }, { id: 3, username: 'cy', online: true }] },
      ev({ type: 'user_joined', room_id: 1, user_id: 2, username: 'bob' }),
      ev({ type: 'user_left', room_id: 1, user_id: 3, username: 'cy' }),
      ev({ type: 'user_joined', room_id: 1, user_id: 4, username: 'dee' }),
    ]);
    expect(s.members.filter((m) => m.online).map((m) => m.username)).toEqual(['bob', 'dee']);
  });

  it('presence moves the online dot of members only', () => {
    const s = run([
      { type: 'members', members: [{ id: 2, username: 'bob', online: false }, { id: 3, username: 'cy', online: true }] },
      ev({ type: 'presence', user_id: 2, username: 'bob', online: true }),
      ev({ type: 'presence', user_id: 3, username: 'cy', online: false }),
      ev({ type: 'presence', user_id: 9, username: 'stranger', online: true }),
    ]);
    expect(s.members.map((m) => [m.username, m.online])).toEqual([
      ['bob', true],
      ['cy', false],
    ]);
  });

  it('read receipts move members’ read pointers forward only', () => {
    let s = run([
      { type: 'members', members: [{ id: 2, username: 'bob', online: true, last_read_seq: 4 }, { id: 3, username: 'cy', online: true }] },
      ev({ type: 'read_receipt', room_id: 1, user_id: 2, seq: 6 }),
      ev({ type: 'read_receipt', room_id: 1, user_id: 2, seq: 5 }),
      ev({ type: 'read_receipt', room_id: 1, user_id: 9, seq: 5 }),
      ev({ type: 'read_receipt', room_id: 2, user_id: 3, seq: 5 }),
    ]);
    expect(s.members.map((m) => m.last_read_seq)).toEqual([6, undefined]);
    // A list fetched before the receipt does not move the pointer back; one without it (receipts hidden) drops it.
    s = run([{ type: 'members', members: [{ id: 2, username: 'bob', online: true, last_read_seq: 5 }, { id: 3, username: 'cy', online: true }] }], s);
    expect(s.members[0].last_read_seq).toBe(6);
    s = run([{ type: 'members', members: [{ id: 2, username: 'bob', online: true }] }], s);
    expect(s.members[0].last_read_seq).toBeUndefined();
  });

  it('a fresh member list keeps someone who joined meanwhile', () => {
    const s = run([ev({ type: 'user_joined', room_id: 1, user_id: 4, username: 'dee' }), { type: 'members', members: [{ id: 2, username: 'bob', online: true }] }]);
    expect(s.members.map((m) => m.id)).toEqual([2, 4]);
  });

  it('shows typing for 4 s, clears on a message from the typist, excludes me', () => {
    let s = run([ev({ type: 'typing', room_id: 1, user_id: 2, username: 'bob' }, 1000), ev({ type: 'typing', room_id: 1, user_id: 7, username: 'me' }, 1000)]);
    expect(typingNames(s, 7, 4999)).toEqual(['bob']);
    expect(typingNames(s, 7, 5000)).toEqual([]);
    s = roomReducer(s, { type: 'tick', now: 6000 });
    expect(s.typing).toEqual({});
    s = run([ev({ type: 'typing', room_id: 1, user_id: 2, username: 'bob' }, 0), ev({ type: 'message', ...msg(1, 1) }, 10)]);
    expect(typingNames(s, 7, 20)).toEqual([]);
  });

  it('words the typing line', () => {
    const line = (names: string[]) =>
      typingParts(names)
        .map((p) => (typeof p === 'string' ? p : `<${p.name}>`))
        .join('');
    expect(line([])).toBe('');
    expect(line(['bob'])).toBe('<bob> is typing…');
    expect(line(['a', 'b'])).toBe('<a> and <b> are typing…');
    expect(line(['a', 'b', 'c', 'd'])).toBe('<a>, <b> and 2 more are typing…');
    expect(typingParts(['\u05d0\u05d1', 'b'])).toEqual([{ name: '\u05d0\u05d1' }, ' and ', { name: 'b' }, ' are typing…']);
  });

  it('words a rate_limited error event with its retry_after', () => {
    const s = run([ev({ type: 'error', code: 'rate_limited', detail: 'too many messages; try again in 3 s', retry_after: 3 })]);
    expect(s.lastError).toBe('Too many requests — try again in 3 s');
  });

  it('keeps the detail of an error event until cleared', () => {
    let s = run([ev({ type: 'error', code: 'message_too_long', detail: 'too long' })]);
    expect(s.lastError).toBe('too long');
    s = roomReducer(s, { type: 'clear_error' });
    expect(s.lastError).toBeNull();
  });
});

describe('live membership and profile changes', () => {
  const listed = (): RoomAction => ({
    type: 'members',
    members: [
      { id: 1, username: 'alice', display_name: 'Alice', online: true },
      { id: 2, username: 'bob', online: false, avatar_url: '/avatars/2/a.webp' },
    ],
  });

  it('member_joined adds the new member once; member_left takes them out of the list and the typing line', () => {
    let s = run([listed(), ev({ type: 'member_joined', room_id: 1, user_id: 3, username: 'carol' })]);
    s = run([ev({ type: 'member_joined', room_id: 1, user_id: 3, username: 'carol' })], s);
    expect(s.members.map((m) => [m.id, m.online])).toEqual([
      [1, true],
      [2, false],
      [3, false],
    ]);
    s = run([ev({ type: 'typing', room_id: 1, user_id: 2, username: 'bob' }), ev({ type: 'member_left', room_id: 1, user_id: 2, username: 'bob', reason: 'left' })], s);
    expect(s.members.map((m) => m.id)).toEqual([1, 3]);
    expect(typingNames(s, 1, 0)).toEqual([]);
  });

  it('membership events of another room change nothing', () => {
    const s = run([listed()]);
    expect(run([ev({ type: 'member_left', room_id: 2, user_id: 2, username: 'bob', reason: 'removed' })], s)).toBe(s);
    expect(run([ev({ type: 'member_joined', room_id: 2, user_id: 9, username: 'zed' })], s)).toBe(s);
  });

  it('user_updated renames a member and changes the avatar, also to none', () => {
    const s = run([listed(), ev({ type: 'user_updated', user_id: 2, username: 'bob', display_name: 'Bobby', avatar_url: null })]);
    expect(s.members[1]).toEqual({ id: 2, username: 'bob', display_name: 'Bobby', avatar_url: null, online: false });
    expect(s.members[0]).toEqual({ id: 1, username: 'alice', display_name: 'Alice', online: true });
  });

  it('user_updated of someone who is not a member, or with nothing new, keeps the state', () => {
    const s = run([listed()]);
    expect(run([ev({ type: 'user_updated', user_id: 9, username: 'zed', display_name: 'Z' })], s)).toBe(s);
    expect(run([ev({ type: 'user_updated', user_id: 1, username: 'alice', display_name: 'Alice' })], s)).toBe(s);
  });
});
