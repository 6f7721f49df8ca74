import { describe, expect, it } from 'vitest';
import type { Room } from '../api/types';
import { directName, isDirect, parseUsernames, withDirectNames } from './direct';

describe('direct conversations', () => {
  it.each([
    ['alice, bob', 'alice', 'bob'],
    ['alice, bob, cy', 'BOB', 'alice, cy'],
    ['bob', 'alice', 'bob'],
    ['alice', 'alice', 'alice'],
  ])('%j for %s is called %j', (name, me, want) => {
    expect(directName(name, me)).toBe(want);
  });

  it('names only the direct ones, and keeps the list when there is none', () => {
    const room: Room = { id: 1, name: 'general', is_private: false };
    const dm: Room = { id: 2, name: 'alice, bob', is_private: true, kind: 'dm' };
    expect(isDirect(dm)).toBe(true);
    expect(isDirect(room)).toBe(false);
    expect(withDirectNames([room, dm], 'alice').map((r) => r.name)).toEqual(['general', 'bob']);
    const plain = [room];
    expect(withDirectNames(plain, 'alice')).toBe(plain);
  });

  it.each([
    ['bob', ['bob'], null],
    [' @bob, cy  dee,bob ', ['bob', 'cy', 'dee'], null],
    ['alice', [], 'Enter the username of someone else.'],
    ['', [], 'Enter the username of someone else.'],
    ['a1, a2, a3, a4, a5, a6, a7, a8', ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'], 'A conversation has at most 7 other people.'],
  ])('usernames %j', (input, names, error) => {
    expect(parseUsernames(input, 'alice')).toEqual({ names, error });
  });
});
