import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff';

describe('reconnect backoff', () => {
  it('doubles from 500 ms up to the 10 s cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20, 1000].map((n) => backoffCeiling(n))).toEqual([
      500, 1000, 2000, 4000, 8000, 10000, 10000, 10000, 10000,
    ]);
  });

  it('jitters within [ceiling/2, ceiling]', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 9]) {
      const c = backoffCeiling(n);
      expect(backoffDelay(n, () => 0)).toBe(c / 2);
      expect(backoffDelay(n, () => 0.999999)).toBeLessThanOrEqual(c);
      expect(backoffDelay(n, () => 0.999999)).toBeGreaterThan(c * 0.99);
    }
  });

  it('honours custom base and cap', () => {
    expect(backoffCeiling(3, { baseMs: 100, capMs: 500 })).toBe(500);
    expect(backoffCeiling(1, { baseMs: 100, capMs: 500 })).toBe(200);
  });
});
