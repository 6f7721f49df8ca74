import { describe, expect, it } from 'vitest';
import { isMine, removalText } from './membership';

const room = (over: object) => ({ id: 5, name: 'r', is_private: false, owner_id: 1, ...over });

describe('isMine', () => {
  it('believes is_member when the server sends it', () => {
    expect(isMine(room({ is_member: false, is_private: true }), 1, new Set([5]))).toBe(false);
    expect(isMine(room({ is_member: true }), 9, new Set())).toBe(true);
  });
  it('counts private rooms, owned rooms and remembered joins', () => {
    expect(isMine(room({ is_private: true }), 9, new Set())).toBe(true);
    expect(isMine(room({}), 1, new Set())).toBe(true);
    expect(isMine(room({}), 9, new Set([5]))).toBe(true);
    expect(isMine(room({}), 9, new Set())).toBe(false);
  });
});

describe('removalText', () => {
  it('says why the room went away', () => {
    expect(removalText('left', false, 'ops')).toBe('You left ops.');
    expect(removalText('removed', false, 'ops')).toBe('You were removed from ops.');
    expect(removalText('deleted', true, 'ops')).toBe('ops was deleted.');
  });
  it('falls back on deleted when the server gives no reason', () => {
    expect(removalText(undefined, true, 'ops')).toBe('ops was deleted.');
    expect(removalText(undefined, false, 'ops')).toBe('You were removed from ops.');
  });
});
