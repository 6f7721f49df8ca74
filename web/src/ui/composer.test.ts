import { describe, expect, it } from 'vitest';
import { COMPOSER_MAX_LINES, fitHeight } from './Composer';

describe('fitHeight: the message box grows with its text, up to a bound', () => {
  const line = 20;
  const padding = 16;
  const border = 2;
  it('fits one line, and three lines, without scrolling', () => {
    expect(fitHeight(line + padding, line, padding, border)).toEqual({ height: 38, scroll: false });
    expect(fitHeight(3 * line + padding, line, padding, border)).toEqual({ height: 78, scroll: false });
  });
  it('stops at eight lines and scrolls beyond', () => {
    expect(COMPOSER_MAX_LINES).toBe(8);
    const eight = fitHeight(8 * line + padding, line, padding, border);
    expect(eight).toEqual({ height: 178, scroll: false });
    expect(fitHeight(20 * line + padding, line, padding, border)).toEqual({ height: 178, scroll: true });
  });
});
