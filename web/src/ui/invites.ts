// Invite links: <origin>/invite/<code>. The server answers that path with
// the client itself, so the code is read from the address once, kept in
// session storage across the sign-in, and the address goes back to "/".

const KEY = 'chat.invite';

/** The invite code in a path (/invite/<code>), or null. */
export function inviteCodeFromPath(pathname: string): string | null {
  const m = /^\/invite\/([A-Za-z0-9_-]{1,128})\/?$/.exec(pathname);
  return m ? m[1] : null;
}

/** The link to share for a code. */
export function inviteLink(origin: string, code: string): string {
  return `${origin.replace(/\/$/, '')}/invite/${encodeURIComponent(code)}`;
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Keeps a code from the address (until it is answered), or the one kept before. */
export function pendingInvite(store: Store, pathname: string): string | null {
  const fromPath = inviteCodeFromPath(pathname);
  try {
    if (fromPath) store.setItem(KEY, fromPath);
    return fromPath ?? store.getItem(KEY);
  } catch {
    return fromPath; // storage disabled: the code lives as long as the page
  }
}

/** The invite was joined or turned down: forget it. */
export function forgetInvite(store: Store): void {
  try {
    store.removeItem(KEY);
  } catch {
    /* storage disabled */
  }
}

/** "in 3 days", "in 5 hours", "in 10 minutes": how long an invite still works. */
export function expiresIn(expiresAt: string, now: number): string {
  const ms = Date.parse(expiresAt) - now;
  if (!Number.isFinite(ms)) return '';
  if (ms <= 0) return 'expired';
  const min = Math.round(ms / 60_000);
  if (min < 60) return `expires in ${Math.max(1, min)} minute${min === 1 ? '' : 's'}`;
  const h = Math.round(ms / 3_600_000);
  if (h < 48) return `expires in ${h} hour${h === 1 ? '' : 's'}`;
  const d = Math.round(ms / 86_400_000);
  return `expires in ${d} days`;
}
