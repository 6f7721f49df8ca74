import { describe, expect, it } from 'vitest';
import { expiresIn, forgetInvite, inviteCodeFromPath, inviteLink, pendingInvite } from './invites';
import { MemoryStorage } from '../test/fakes';

describe('invite links', () => {
  it('reads the code from /invite/<code> only', () => {
    expect(inviteCodeFromPath('/invite/Ab3_x-9')).toBe('Ab3_x-9');
    expect(inviteCodeFromPath('/invite/Ab3/')).toBe('Ab3');
    for (const p of ['/', '/invite/', '/invites/abc', '/invite/a/b', '/invite/a%2Fb', '/rooms/1']) expect(inviteCodeFromPath(p), p).toBeNull();
  });

  it('makes the link from the origin and the code', () => {
    expect(inviteLink('https://chat.example', 'abc')).toBe('https://chat.example/invite/abc');
    expect(inviteLink('http://localhost:8000/', 'abc')).toBe('http://localhost:8000/invite/abc');
  });

  it('keeps the code across the sign-in until it is answered', () => {
    const store = new MemoryStorage();
    expect(pendingInvite(store, '/invite/abc')).toBe('abc');
    // After sign-in the address is back at "/": the kept code is still there.
    expect(pendingInvite(store, '/')).toBe('abc');
    forgetInvite(store);
    expect(pendingInvite(store, '/')).toBeNull();
  });

  it('says how long an invite still works', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(expiresIn('2026-11-30T12:00:00Z', now)).toBe('expires in 7 days');
    expect(expiresIn('2026-11-23T17:00:00Z', now)).toBe('expires in 5 hours');
    expect(expiresIn('2026-11-23T12:01:00Z', now)).toBe('expires in 1 minute');
    expect(expiresIn('2026-11-23T11:00:00Z', now)).toBe('expired');
  });
});
