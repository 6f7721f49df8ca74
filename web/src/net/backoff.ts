// Reconnect delays: exponential with "equal jitter", capped.
// attempt 0 waits base/2..base, attempt n waits d/2..d with d = min(cap, base·2^n).

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 10_000;

export function backoffCeiling(attempt: number, o: BackoffOptions = {}): number {
  const base = o.baseMs ?? BACKOFF_BASE_MS;
  const cap = o.capMs ?? BACKOFF_CAP_MS;
  const n = Math.max(0, Math.min(attempt, 30));
  return Math.min(cap, base * 2 ** n);
}

/** random is in [0, 1). */
export function backoffDelay(attempt: number, random: () => number, o: BackoffOptions = {}): number {
  const d = backoffCeiling(attempt, o);
  return Math.round(d / 2 + (random() * d) / 2);
}
