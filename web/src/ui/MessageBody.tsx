// One message's text: Markdown (GFM) that cannot inject HTML or run script.
// What it may become is decided in markdown.ts; the renderer
// (markdownRender.tsx) is a chunk of its own, fetched as the app starts.
// Until it is there, a message that may hold Markdown shows as typed.
import { memo, useSyncExternalStore, type ReactNode } from 'react';
import { linkify } from './format';
import { LINK } from './links';
import { mayBeMarkdown } from './markdown';

type Renderer = typeof import('./markdownRender');

let renderer: Renderer | null = null;
let loading: Promise<void> | null = null;
const waiting = new Set<() => void>();

/** Fetches the Markdown renderer (once); every MessageBody re-renders with it. */
export function loadMarkdown(): Promise<void> {
  loading ??= import('./markdownRender').then(
    (m) => {
      renderer = m;
      cache.clear(); // it held texts shown as typed
      waiting.forEach((fn) => fn());
    },
    (e) => {
      loading = null; // fetched again on the next message
      throw e;
    },
  );
  return loading;
}

function subscribe(fn: () => void): () => void {
  waiting.add(fn);
  return () => waiting.delete(fn);
}

const ready = () => renderer !== null;

function plain(text: string): ReactNode {
  return (
    <p>
      {linkify(text).map((p, i) =>
        p.href ? (
          <a key={i} href={p.href} {...LINK}>
            {p.text}
          </a>
        ) : (
          p.text
        ),
      )}
    </p>
  );
}

// Rendered messages by text: a row that scrolls out of a virtualized list and
// back, or the same line in two rooms, is parsed once.
const CACHE_MAX = 2000;
const cache = new Map<string, ReactNode>();
const NO_MENTIONS: readonly string[] = [];

/** The rendered text, from the cache when it was rendered before. */
export function renderMessage(text: string, mentions: readonly string[] = NO_MENTIONS): ReactNode {
  // Plain words: what the parser would make of them, without the parser.
  if (!mayBeMarkdown(text)) return plain(text);
  if (!renderer) {
    void loadMarkdown().catch(() => {});
    return plain(text);
  }
  const key = mentions.length ? `${mentions.join(' ')}\u0000${text}` : text;
  let node = cache.get(key);
  if (node === undefined) {
    node = renderer.renderMarkdown(text, mentions);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(key, node);
  }
  return node;
}

/**
 * A message's text as Markdown. mentions: usernames whose "@name" is
 * highlighted (the reader's own, say). Re-renders only when the text or the
 * names change, or when the renderer arrives.
 */
export const MessageBody = memo(
  function MessageBody(props: { text: string; mentions?: readonly string[] }) {
    useSyncExternalStore(subscribe, ready, ready);
    return <div className="msg-body">{renderMessage(props.text, props.mentions)}</div>;
  },
  (a, b) => a.text === b.text && (a.mentions ?? NO_MENTIONS).join(' ') === (b.mentions ?? NO_MENTIONS).join(' '),
);
