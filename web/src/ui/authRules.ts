// The sign-up rules, as the server enforces them (domain/user): shown next to
// the fields before anything is typed, and checked before "Create account"
// asks the server. Signing in checks nothing: an account's password is
// whatever it was made with.

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

export const USERNAME_RULE = `For a new account: ${USERNAME_MIN}–${USERNAME_MAX} characters, using a–z, 0–9 and _ . -`;
export const PASSWORD_RULE = `For a new account: at least ${PASSWORD_MIN} characters.`;

/** Why a username cannot make an account, or null. Capitals are fine: the server folds them. */
export function usernameProblem(username: string): string | null {
  const u = username.trim().toLowerCase();
  if (u.length < USERNAME_MIN || u.length > USERNAME_MAX) return `A username has ${USERNAME_MIN} to ${USERNAME_MAX} characters.`;
  if (!/^[a-z0-9_.-]+$/.test(u)) return 'A username may contain only a–z, 0–9 and _ . -';
  return null;
}

/** Why a password cannot make an account, or null. Counted in characters, as the server does. */
export function passwordProblem(password: string): string | null {
  const n = [...password].length;
  if (n < PASSWORD_MIN) return `A password has at least ${PASSWORD_MIN} characters.`;
  if (n > PASSWORD_MAX) return `A password has at most ${PASSWORD_MAX} characters.`;
  return null;
}
