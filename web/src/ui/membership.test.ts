import { describe, expect, it } from 'vitest';
import { isMine, removalNotice } from './membership';

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

describe('removalNotice', () => {
  it('says what the server says happened', () => {
    expect(removalNotice({ deleted: false, reason: 'left' }, 'lobby')).toBe('You left lobby.');
    expect(removalNotice({ deleted: false, reason: 'removed' }, 'lobby')).toBe('You were removed from lobby.');
    expect(removalNotice({ deleted: true, reason: 'deleted' }, 'lobby')).toBe('lobby was deleted.');
  });
  it('falls back on deleted when the server gives no reason', () => {
    expect(removalNotice({ deleted: true }, 'lobby')).toBe('lobby was deleted.');
    expect(removalNotice({ deleted: false }, 'lobby')).toBe('You were removed from lobby.');
  });
});
