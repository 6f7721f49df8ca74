import { describe, expect, it } from 'vitest';
import type { Room, ServerEvent } from '../api/types';
import { change, msg } from '../test/fakes';
import { applyRoomUpdate, replaceRoom, roomListReducer, titleWithUnread, totalUnread, type RoomListAction, type RoomUpdate } from './roomList';

const ME = 7;
const general: Room = { id: 1, name: 'general', description: 'talk', is_private: false, owner_id: 7, is_member: true, last_seq: 10, last_read_seq: 10, unread_count: 0 };
const other: Room = { id: 2, name: 'other', description: '', is_private: false, owner_id: 8, is_member: false, last_seq: 4, last_read_seq: 0, unread_count: 0 };
const secret: Room = { id: 3, name: 'secret', is_private: true, owner_id: 8, is_member: true, last_seq: 2, last_read_seq: 1, unread_count: 1 };
const start = [general, other, secret];

const ev = (event: ServerEvent, reading: number | null = null): RoomListAction => ({ type: 'event', event, me: ME, reading });
const run = (actions: RoomListAction[], rooms: Room[] = start) => actions.reduce(roomListReducer, rooms);
const unread = (rooms: Room[], id: number) => rooms.find((r) => r.id === id)?.unread_count;
const message = (id: number, seq: number, extra: Parameters<typeof msg>[2] = {}) => ev({ type: 'message', ...msg(id, seq, extra) });

describe('unread counts', () => {
  it('counts live messages from others in rooms not being read', () => {
    const rooms = run([message(11, 11), message(12, 12), message(13, 13, { user_id: ME })]);
    expect(unread(rooms, 1)).toBe(2);
    expect(rooms[0].last_seq).toBe(13);
  });

  it('does not count messages in the room being read', () => {
    const rooms = run([ev({ type: 'message', ...msg(11, 11) }, 1)]);
    expect(unread(rooms, 1)).toBe(0);
    expect(rooms[0].last_seq).toBe(11);
  });

  it('counts a seq once: replays, duplicates and gap fills do not add up', () => {
    const rooms = run([message(11, 11), message(11, 11), message(9, 9), message(12, 12), message(11, 11)]);
    expect(unread(rooms, 1)).toBe(2);
  });

  it('a read event (another tab or device) sets the pointer and the count', () => {
    let rooms = run([message(11, 11), message(12, 12), ev({ type: 'read', room_id: 1, last_read_seq: 11, unread_count: 1 })]);
    expect(rooms[0]).toMatchObject({ last_read_seq: 11, unread_count: 1 });
    // an older move arriving late changes nothing
    rooms = run([ev({ type: 'read', room_id: 1, last_read_seq: 10, unread_count: 2 })], rooms);
    expect(rooms[0]).toMatchObject({ last_read_seq: 11, unread_count: 1 });
    rooms = run([ev({ type: 'read', room_id: 1, last_read_seq: 12, unread_count: 0 })], rooms);
    expect(unread(rooms, 1)).toBe(0);
  });

  it('reading here clears the count at once when it reaches the newest message', () => {
    let rooms = run([message(11, 11), message(12, 12), { type: 'read_local', roomId: 1, seq: 11 }]);
    expect(rooms[0]).toMatchObject({ last_read_seq: 11, unread_count: 2 });
    rooms = run([{ type: 'read_local', roomId: 1, seq: 12 }], rooms);
    expect(rooms[0]).toMatchObject({ last_read_seq: 12, unread_count: 0 });
  });

  it('takes the counts in ready, unless this client has seen newer messages', () => {
    const rooms = run([
      message(13, 13, { room_id: 3 }),
      ev({
        type: 'ready',
        rooms: [
          { room_id: 1, last_seq: 15, last_read_seq: 10, unread_count: 5 },
          { room_id: 3, last_seq: 12, last_read_seq: 1, unread_count: 9 },
        ],
      }),
    ]);
    expect(rooms[0]).toMatchObject({ last_seq: 15, unread_count: 5 });
    expect(rooms[2]).toMatchObject({ last_seq: 13, unread_count: 2 });
  });

  it('a fresh GET /rooms keeps counts this client saw grow since it was asked', () => {
    const rooms = run([message(11, 11), { type: 'list', rooms: [general, { ...secret, last_seq: 5, unread_count: 4 }] }]);
    expect(rooms.map((r) => r.id)).toEqual([1, 3]);
    expect(rooms[0]).toMatchObject({ last_seq: 11, unread_count: 1 });
    expect(rooms[1]).toMatchObject({ last_seq: 5, unread_count: 4 });
  });

  it('sums the unread of the given rooms and puts it in the title', () => {
    const rooms = run([message(11, 11), message(12, 12)]);
    expect(totalUnread(rooms)).toBe(3);
    expect(titleWithUnread('Chat', 3)).toBe('(3) Chat');
    expect(titleWithUnread('Chat', 0)).toBe('Chat');
  });
});

describe('live room list', () => {
  it('room_created offers a new public room, and never undoes room_added', () => {
    const room: Room = { id: 9, name: 'fresh', is_private: false, owner_id: 8 };
    let rooms = run([ev({ type: 'room_created', room_id: 9, room })]);
    expect(rooms.find((r) => r.id === 9)).toMatchObject({ name: 'fresh', is_member: false });
    rooms = run([ev({ type: 'room_added', room_id: 10, room: { ...room, id: 10, last_seq: 0, last_read_seq: 0, unread_count: 0 } }), ev({ type: 'room_created', room_id: 10, room: { ...room, id: 10 } })]);
    expect(rooms.find((r) => r.id === 10)).toMatchObject({ is_member: true });
  });

  it('room_added marks a room joined with its counts, also one someone else added the user to', () => {
    let rooms = run([ev({ type: 'room_added', room_id: 2, room: { ...other, is_member: true, last_seq: 6, last_read_seq: 0, unread_count: 6 } })]);
    expect(rooms[1]).toMatchObject({ is_member: true, unread_count: 6 });
    rooms = run([ev({ type: 'room_added', room_id: 20, room: { id: 20, name: 'invite', is_private: true, last_seq: 3, last_read_seq: 0, unread_count: 3 } })], rooms);
    expect(rooms.find((r) => r.id === 20)).toMatchObject({ is_member: true, unread_count: 3 });
  });

  it('room_removed drops a private or deleted room and offers a public one again', () => {
    const rooms = run([
      ev({ type: 'room_removed', room_id: 1, deleted: false }),
      ev({ type: 'room_removed', room_id: 3, deleted: false }),
      ev({ type: 'room_removed', room_id: 2, deleted: true }),
    ]);
    expect(rooms).toEqual([{ ...general, is_member: false, last_read_seq: 0, unread_count: 0 }]);
    expect(totalUnread(rooms)).toBe(0);
  });

  it('room_removed with reason deleted drops the room even without deleted: true', () => {
    const rooms = run([ev({ type: 'room_removed', room_id: 2, deleted: false, reason: 'deleted' }), ev({ type: 'room_removed', room_id: 1, deleted: false, reason: 'left' })]);
    expect(rooms.map((r) => [r.id, r.is_member])).toEqual([
      [1, false],
      [3, true],
    ]);
  });

  it('room_updated renames, and drops a room that became private for those outside it', () => {
    const rooms = run([
      ev({ type: 'room_updated', room_id: 1, name: 'lobby', description: 'talk', is_private: false, owner_id: 7 }),
      ev({ type: 'room_updated', room_id: 2, name: 'other', description: '', is_private: true, owner_id: 8 }),
    ]);
    expect(rooms.map((r) => r.name)).toEqual(['lobby', 'secret']);
  });

  it('membership and upsert come from this client’s own joins and saves', () => {
    let rooms = run([{ type: 'membership', roomId: 2, member: true }]);
    // What a non-member's listing said of the read pointer is dropped until room_added says.
    expect(rooms[1]).toMatchObject({ is_member: true, last_seq: 4, last_read_seq: undefined });
    rooms = run([ev({ type: 'room_added', room_id: 2, room: { ...other, last_seq: 4, last_read_seq: 4, unread_count: 0 } })], rooms);
    expect(rooms[1]).toMatchObject({ is_member: true, last_read_seq: 4, unread_count: 0 });
    // room_added first, then the join's answer: nothing is lost.
    expect(run([{ type: 'membership', roomId: 2, member: true }], rooms)).toBe(rooms);
    expect(run([{ type: 'membership', roomId: 3, member: false }])[2]).toMatchObject({ is_member: false, unread_count: 0 });
    rooms = run([{ type: 'upsert', room: { id: 30, name: 'mine', is_private: false, owner_id: ME, is_member: true } }], rooms);
    expect(rooms.map((r) => r.id)).toEqual([1, 2, 3, 30]);
  });
});

const update = (over: Partial<RoomUpdate>): RoomUpdate => ({
  type: 'room_updated',
  room_id: 1,
  name: 'general',
  description: 'talk',
  is_private: false,
  owner_id: 7,
  ...over,
});

describe('applyRoomUpdate', () => {
  it('applies a rename, a new description, privacy and owner to that room only', () => {
    const next = applyRoomUpdate(start, update({ name: 'random', description: 'anything', is_private: true, owner_id: 9 }));
    expect(next[0]).toEqual({ ...general, name: 'random', description: 'anything', is_private: true, owner_id: 9 });
    expect(next[1]).toBe(start[1]);
  });
  it('returns the same list when nothing changed or the room is unknown', () => {
    expect(applyRoomUpdate(start, update({}))).toBe(start);
    expect(applyRoomUpdate(start, update({ room_id: 99, name: 'x' }))).toBe(start);
  });
});

describe('replaceRoom', () => {
  it('keeps is_member and the counts, which only the list carries', () => {
    const next = replaceRoom(start, { id: 1, name: 'renamed', description: '', is_private: false, owner_id: 7 });
    expect(next[0]).toEqual({ ...general, name: 'renamed', description: '' });
  });
});

describe('changes and mentions', () => {
  it('a change moves last_seq but is not unread; a message after it still counts', () => {
    const rooms = run([ev(change('reaction_added', 11, 3)), ev(change('message_edited', 12, 3)), message(13, 13)]);
    expect(rooms[0]).toMatchObject({ last_seq: 13, unread_count: 1 });
    // A change older than what is known moves nothing.
    expect(run([ev(change('message_deleted', 5, 3))])).toBe(start);
  });

  it('counts a live message that mentions the user in a room not being read, once', () => {
    const mention = message(11, 11, { mentions: [ME, 9] });
    let rooms = run([mention, mention, message(12, 12, { mentions: [9] })]);
    expect(rooms[0]).toMatchObject({ unread_count: 2, mention_count: 1 });
    // Not while reading it, and never one's own.
    rooms = run([ev({ type: 'message', ...msg(11, 11, { mentions: [ME] }) }, 1), message(12, 12, { user_id: ME, mentions: [ME] })]);
    expect(rooms[0].mention_count).toBeUndefined();
  });

  it('takes mention_count from the list and ready, and clears it with the unread', () => {
    let rooms = run([{ type: 'list', rooms: [{ ...general, last_seq: 14, last_read_seq: 10, unread_count: 3, mention_count: 2 }] }]);
    expect(rooms[0]).toMatchObject({ unread_count: 3, mention_count: 2 });
    rooms = run([{ type: 'read_local', roomId: 1, seq: 14 }], rooms);
    expect(rooms[0]).toMatchObject({ unread_count: 0, mention_count: 0 });
    rooms = run([ev({ type: 'ready', rooms: [{ room_id: 1, last_seq: 20, last_read_seq: 14, unread_count: 4, mention_count: 1 }] })], rooms);
    expect(rooms[0]).toMatchObject({ unread_count: 4, mention_count: 1 });
  });

  it('a read event clears mentions with the unread, or keeps no more of them than unread', () => {
    const base = run([{ type: 'list', rooms: [{ ...general, last_seq: 14, last_read_seq: 10, unread_count: 3, mention_count: 3 }] }]);
    expect(run([ev({ type: 'read', room_id: 1, last_read_seq: 14, unread_count: 0 })], base)[0].mention_count).toBe(0);
    expect(run([ev({ type: 'read', room_id: 1, last_read_seq: 12, unread_count: 1 })], base)[0].mention_count).toBe(1);
    expect(run([ev({ type: 'read', room_id: 1, last_read_seq: 12, unread_count: 2, mention_count: 2 })], base)[0].mention_count).toBe(2);
  });
});
