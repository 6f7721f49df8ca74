import { describe, expect, it } from 'vitest';
import { applyTheme, loadTheme, saveTheme } from './theme';
import { MemoryStorage } from '../test/fakes';

describe('theme', () => {
  it('follows the system until the user picks one, and remembers the pick', () => {
    const store = new MemoryStorage();
    expect(loadTheme(store)).toBe('system');
    saveTheme(store, 'dark');
    expect(loadTheme(store)).toBe('dark');
    saveTheme(store, 'system');
    expect(loadTheme(store)).toBe('system');
    expect(store.m.size).toBe(0);
  });

  it('ignores a stored value it does not know', () => {
    const store = new MemoryStorage();
    store.setItem('chat.theme', 'purple');
    expect(loadTheme(store)).toBe('system');
  });

  it('sets data-theme for light and dark, none for the system', () => {
    const root = { dataset: {} as DOMStringMap };
    applyTheme(root, 'light');
    expect(root.dataset.theme).toBe('light');
    applyTheme(root, 'system');
    expect('theme' in root.dataset).toBe(false);
  });
});
