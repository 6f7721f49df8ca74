// The composer's emoji picker: emoji-mart's web component, fetched the
// first time it opens (it and its data are as large as the rest of the app).
// emoji-mart's own React wrapper asks for React 18 at most; the component
// itself is all the wrapper adds.
import { useEffect, useRef, useState } from 'react';

type Loaded = { Picker: new (props: Record<string, unknown>) => HTMLElement; data: unknown };

let loading: Promise<Loaded> | null = null;

function loadPicker(): Promise<Loaded> {
  loading ??= Promise.all([import('emoji-mart'), import('@emoji-mart/data')]).then(([mart, data]) => ({
    Picker: mart.Picker as unknown as Loaded['Picker'],
    data: (data as { default?: unknown }).default ?? data,
  }));
  loading.catch(() => (loading = null)); // a failed fetch is tried again next time
  return loading;
}

/**
 * The picker, open. Its search box takes focus: type to search, arrows to
 * move, Enter to pick; Escape or a click elsewhere closes it. `toggle` is
 * the button that opens it (a click there is not "elsewhere").
 */
export function EmojiPicker(props: { onPick: (emoji: string) => void; onClose: () => void; toggle: () => HTMLElement | null }) {
  const host = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  const live = useRef(props);
  live.current = props;

  useEffect(() => {
    let gone = false;
    let picker: HTMLElement | null = null;
    loadPicker().then(
      ({ Picker, data }) => {
        if (gone || !host.current) return;
        const theme = document.documentElement.dataset.theme;
        picker = new Picker({
          data,
          onEmojiSelect: (e: { native?: string }) => e.native && live.current.onPick(e.native),
          autoFocus: true,
          theme: theme === 'light' || theme === 'dark' ? theme : 'auto',
          previewPosition: 'none',
          skinTonePosition: 'search',
          maxFrequentRows: 2,
        });
        host.current.appendChild(picker);
      },
      () => !gone && setFailed(true),
    );
    const onPointer = (e: PointerEvent) => {
      const path = e.composedPath();
      const toggle = live.current.toggle();
      if (host.current && !path.includes(host.current) && !(toggle && path.includes(toggle))) live.current.onClose();
    };
    // Escape closes the picker wherever focus is (its search box, or still
    // the button that opened it), before anything under it hears the key.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      live.current.onClose();
    };
    document.addEventListener('pointerdown', onPointer);
    window.addEventListener('keydown', onKey, true);
    return () => {
      gone = true;
      document.removeEventListener('pointerdown', onPointer);
      window.removeEventListener('keydown', onKey, true);
      picker?.remove();
    };
  }, []);

  return (
    <div ref={host} className="emoji-popover" role="dialog" aria-label="Emoji picker">
      {failed && (
        <p className="error small-text" role="alert">
          The emoji picker could not be loaded. Check your connection and try again.
        </p>
      )}
    </div>
  );
}
