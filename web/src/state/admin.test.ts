import { describe, expect, it } from 'vitest';
import type { Account } from '../api/types';
import { accountStatus, accountsPath, deletePath, mergeAccounts, reasonProblem, removeMemberPath, replaceAccount } from './admin';
import { canDelete } from './changes';

const acct = (id: number, over: Partial<Account> = {}): Account => ({
  id,
  username: `u${id}`,
  display_name: `U ${id}`,
  email: '',
  is_admin: false,
  suspended: false,
  suspended_at: null,
  suspend_reason: '',
  created_at: '2026-01-01T00:00:00.000000Z',
  ...over,
});

describe('moderation routes', () => {
  const m = { room_id: 7, id: 70, user_id: 2 };
  it('deletes through the room for the author and the owner, through /admin for an administrator', () => {
    expect(deletePath(m, 2, 1, false)).toBe('/rooms/7/messages/70');
    expect(deletePath(m, 1, 1, true)).toBe('/rooms/7/messages/70');
    expect(deletePath(m, 3, 1, true)).toBe('/admin/rooms/7/messages/70');
    expect(deletePath(m, 3, 1, false)).toBeNull();
  });
  it('lets an administrator delete any message that is not deleted', () => {
    const msg = { id: 1, room_id: 7, seq: 1, user_id: 2, username: 'b', content: 'x', created_at: '' };
    expect(canDelete(msg, 3, 1)).toBe(false);
    expect(canDelete(msg, 3, 1, true)).toBe(true);
    expect(canDelete({ ...msg, deleted: true }, 3, 1, true)).toBe(false);
  });
  it('removes members as the owner or an administrator, never oneself, never in a direct conversation', () => {
    expect(removeMemberPath(7, 2, 1, 1, false, false)).toBe('/rooms/7/members/2');
    expect(removeMemberPath(7, 1, 3, 1, true, false)).toBe('/admin/rooms/7/members/1');
    expect(removeMemberPath(7, 2, 3, 1, false, false)).toBeNull();
    expect(removeMemberPath(7, 3, 3, 1, true, false)).toBeNull();
    expect(removeMemberPath(7, 2, 3, 1, true, true)).toBeNull();
  });
});

describe('the user list', () => {
  it('builds its query', () => {
    expect(accountsPath('  al ')).toBe('/admin/users?search=al&limit=50');
    expect(accountsPath('', 40, 10)).toBe('/admin/users?after=40&limit=10');
    expect(accountsPath('a&b')).toBe('/admin/users?search=a%26b&limit=50');
  });
  it('starts over on a new search and appends the next page', () => {
    const first = mergeAccounts([acct(9)], [acct(1), acct(2)], true);
    expect(first.map((a) => a.id)).toEqual([1, 2]);
    const more = mergeAccounts(first, [acct(2, { suspended: true }), acct(3)], false);
    expect(more.map((a) => a.id)).toEqual([1, 2, 3]);
    expect(more[1].suspended).toBe(true);
  });
  it('replaces a suspended account in place', () => {
    const list = [acct(1), acct(2)];
    const after = replaceAccount(list, acct(2, { suspended: true, suspended_at: '2026-05-06T07:08:09.000000Z', suspend_reason: 'spam' }));
    expect(after[1].suspended).toBe(true);
    expect(after[0]).toBe(list[0]);
  });
  it('says how an account stands', () => {
    expect(accountStatus(acct(1))).toBe('Active');
    expect(accountStatus(acct(1, { suspended: true, suspended_at: '2026-05-06T07:08:09.000000Z', suspend_reason: 'spam' }))).toBe('Suspended since 2026-05-06: spam');
    expect(accountStatus(acct(1, { suspended: true, suspended_at: '2026-05-06T07:08:09.000000Z' }))).toBe('Suspended since 2026-05-06');
  });
  it('bounds a reason as the server does', () => {
    expect(reasonProblem('  spam  ')).toBeNull();
    expect(reasonProblem('é'.repeat(500))).toBeNull();
    expect(reasonProblem('a'.repeat(501))).not.toBeNull();
  });
});
