// The colour theme: the system's (prefers-color-scheme) unless the user
// picked light or dark on this device. The choice is a data-theme attribute
// on <html> that styles.css reads; "system" is no attribute at all.

export type Theme = 'system' | 'light' | 'dark';

export const THEMES: readonly { value: Theme; label: string }[] = [
  { value: 'system', label: 'Same as the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

const KEY = 'chat.theme';

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function loadTheme(store: Store): Theme {
  try {
    const v = store.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export function saveTheme(store: Store, theme: Theme): void {
  try {
    if (theme === 'system') store.removeItem(KEY);
    else store.setItem(KEY, theme);
  } catch {
    /* storage disabled: the choice lasts until reload */
  }
}

/** Shows the theme on the page (root: document.documentElement). */
export function applyTheme(root: { dataset: DOMStringMap }, theme: Theme): void {
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}
