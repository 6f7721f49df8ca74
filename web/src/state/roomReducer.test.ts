import { describe, expect, it } from 'vitest';
import { initialRoomState, mergeMessages, oldestId, ORPHANS_MAX, roomReducer, typingNames, typingParts, type RoomAction, type RoomState } from './roomReducer';
import type { ServerEvent } from '../api/types';
import { change, msg } from '../test/fakes';

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

describe('changes of messages', () => {
  const page = (...ms: ReturnType<typeof msg>[]): RoomAction => ({ type: 'history', messages: [...ms].reverse(), limit: 50 });

  it('applies edits, deletions and reactions by message id, and follows the room’s seq', () => {
    const s = run([
      page(msg(1, 1, { content: 'first' }), msg(2, 2, { content: 'second' })),
      ev(change('message_edited', 3, 1, { content: 'first, fixed' })),
      ev(change('reaction_added', 4, 2, { user_id: 8, emoji: '👍', count: 1 })),
      ev(change('reaction_added', 5, 2, { user_id: 9, emoji: '👍', count: 2 })),
      ev(change('reaction_removed', 6, 2, { user_id: 8, emoji: '👍', count: 1 })),
      ev(change('message_deleted', 7, 1)),
    ]);
    expect(s.messages[0]).toMatchObject({ id: 1, content: '', deleted: true });
    expect(s.messages[1].reactions).toEqual([{ emoji: '👍', count: 1, user_ids: [9] }]);
    expect(s.lastSeq).toBe(7);
    expect(ids(s)).toEqual([1, 2]);
  });

  it('a replay of the same changes leaves the state as it was', () => {
    const changes = [change('message_edited', 3, 1, { content: 'x' }), change('reaction_added', 4, 1, { count: 1 })];
    const once = run([page(msg(1, 1)), ...changes.map((c) => ev(c))]);
    const twice = run(changes.map((c) => ev(c)), once);
    expect(twice.messages).toBe(once.messages);
  });

  it('a reply shows its parent deleted, also when the parent is not loaded', () => {
    const quote = { id: 1, seq: 1, user_id: 2, username: 'bob', content: 'the question', deleted: false };
    const s = run([page(msg(2, 2, { reply_to: quote })), ev(change('message_deleted', 3, 1))]);
    expect(s.messages[0].reply_to).toMatchObject({ deleted: true, content: '' });
  });

  it('keeps a change of a message not loaded yet and applies it when its page comes', () => {
    // The page was asked for before the edit and answers after it, without it.
    const s = run([ev(change('message_edited', 6, 1, { content: 'changed meanwhile' })), page(msg(1, 1, { content: 'old' }), msg(2, 2))]);
    expect(s.messages[0].content).toBe('changed meanwhile');
    expect(s.orphans).toEqual([]);
    // A change of a message never loaded is kept, a bounded few.
    const many = run(Array.from({ length: ORPHANS_MAX + 5 }, (_, i) => ev(change('reaction_added', 10 + i, 1000 + i))));
    expect(many.orphans).toHaveLength(ORPHANS_MAX);
    expect(many.orphans[0].seq).toBe(15);
  });

  it('a change this client made applies at once and the event after it changes nothing', () => {
    const edit = change('message_edited', 0, 1, { content: 'mine, fixed', user_id: 7 });
    const s = run([page(msg(1, 1, { user_id: 7 })), { type: 'local_change', change: edit }]);
    expect(s.messages[0].content).toBe('mine, fixed');
    expect(s.lastSeq).toBe(0);
    const after = run([ev({ ...edit, seq: 2 })], s);
    expect(after.messages).toBe(s.messages);
    expect(after.lastSeq).toBe(2);
  });

  it('a thumbnail made later reaches the file attached to a message', () => {
    const file = { id: 40, filename: 'a.png', content_type: 'image/png', size: 1, file_url: '/files/40', thumbnail_status: 'pending' };
    const s = run([page(msg(1, 1, { files: [file] })), ev({ type: 'file_updated', room_id: 1, file_id: 40, thumbnail_url: '/t/40', thumbnail_status: 'ready' })]);
    expect(s.messages[0].files?.[0]).toMatchObject({ thumbnail_url: '/t/40', thumbnail_status: 'ready' });
  });

  it('the server’s copy of a message replaces the one held (fresh file links)', () => {
    const s = run([page(msg(1, 1, { content: 'a' })), { type: 'message_state', message: msg(1, 1, { content: 'a', files: [] }) }]);
    expect(s.messages[0].files).toEqual([]);
    expect(run([{ type: 'message_state', message: msg(9, 9) }], s)).toBe(s);
  });
});
