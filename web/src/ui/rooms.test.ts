import { describe, expect, it } from 'vitest';
import type { Room } from '../api/types';
import { applyRoomUpdate, replaceRoom, type RoomUpdate } from './rooms';

const rooms: Room[] = [
  { id: 1, name: 'general', description: 'talk', is_private: false, owner_id: 7, is_member: true },
  { id: 2, name: 'other', description: '', is_private: false, owner_id: 8, is_member: false },
];
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
    const next = applyRoomUpdate(rooms, update({ name: 'random', description: 'anything', is_private: true, owner_id: 9 }));
    expect(next[0]).toEqual({ id: 1, name: 'random', description: 'anything', is_private: true, owner_id: 9, is_member: true });
    expect(next[1]).toBe(rooms[1]);
  });
  it('returns the same list when nothing changed or the room is unknown', () => {
    expect(applyRoomUpdate(rooms, update({}))).toBe(rooms);
    expect(applyRoomUpdate(rooms, update({ room_id: 99, name: 'x' }))).toBe(rooms);
  });
});

describe('replaceRoom', () => {
  it('keeps is_member, which only the list carries', () => {
    const next = replaceRoom(rooms, { id: 1, name: 'renamed', description: '', is_private: false, owner_id: 7 });
    expect(next[0]).toEqual({ id: 1, name: 'renamed', description: '', is_private: false, owner_id: 7, is_member: true });
  });
});
