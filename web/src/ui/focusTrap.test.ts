import { describe, expect, it } from 'vitest';
import { ModalStack, trapTarget } from './focusTrap';

describe('trapTarget', () => {
  const items = ['close', 'download', 'save'];
  it('wraps Tab from the last element to the first', () => {
    expect(trapTarget(items, 'save', false)).toBe('close');
  });
  it('wraps Shift+Tab from the first element to the last', () => {
    expect(trapTarget(items, 'close', true)).toBe('save');
  });
  it('leaves moves inside the dialog to the browser', () => {
    expect(trapTarget(items, 'close', false)).toBeNull();
    expect(trapTarget(items, 'download', true)).toBeNull();
  });
  it('brings focus from outside back in, at the start or (backwards) the end', () => {
    expect(trapTarget(items, null, false)).toBe('close');
    expect(trapTarget(items, 'outside', false)).toBe('close');
    expect(trapTarget(items, 'outside', true)).toBe('save');
  });
  it('keeps a single element focused both ways', () => {
    expect(trapTarget(['only'], 'only', false)).toBe('only');
    expect(trapTarget(['only'], 'only', true)).toBe('only');
  });
  it('has nowhere to go in an empty dialog', () => {
    expect(trapTarget([], null, false)).toBeNull();
  });
});

describe('ModalStack', () => {
  it('gives the keyboard to the innermost dialog, then back to the outer one', () => {
    const s = new ModalStack<string>();
    s.push('settings');
    s.push('confirm');
    expect(s.isTop('confirm')).toBe(true);
    expect(s.isTop('settings')).toBe(false);
    s.remove('confirm');
    expect(s.isTop('settings')).toBe(true);
    s.remove('settings');
    expect(s.size).toBe(0);
    expect(s.top()).toBeUndefined();
  });
  it('forgets a dialog that closes out of order', () => {
    const s = new ModalStack<string>();
    s.push('a');
    s.push('b');
    s.remove('a');
    expect(s.top()).toBe('b');
    expect(s.size).toBe(1);
  });
});
