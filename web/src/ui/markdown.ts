// What a message's Markdown may become. Messages are written by other
// people, so nothing in them may run or load anything: raw HTML stays text
// (react-markdown without rehype-raw turns it into text nodes), links keep
// only http, https and mailto targets, and images become links (an image
// that loads by itself would tell its host who read the message).

import type { Element, ElementContent, Root, RootContent, Text } from 'hast';

const SAFE_PROTOCOL = /^(https?|mailto):$/i;

/** The URL itself when it is an absolute http(s) or mailto URL; null for anything else (javascript:, data:, relative). */
export function safeUrl(url: string): string | null {
  const v = url.trim();
  // Browsers drop tabs and newlines inside URLs ("java\nscript:"): judge what they would see.
  if (/[\u0000-\u001f\u007f]/.test(v)) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return null;
  }
  return SAFE_PROTOCOL.test(u.protocol) ? v : null;
}

/**
 * Whether the text may hold Markdown (or a link to make). Most chat lines
 * are plain words: those skip the parser and show as they are, which is
 * what the parser would make of them too.
 */
export function mayBeMarkdown(text: string): boolean {
  return /[*_`~>#|[\]!<&\\@]|https?:\/\/|www\.|^\s*([-+=]|\d+[.)])/m.test(text);
}

/** Elements whose whitespace-only children are layout, not content. */
const BLOCK_PARENTS = new Set(['ul', 'ol', 'li', 'blockquote', 'table', 'thead', 'tbody', 'tr']);

/**
 * Drops the line breaks the Markdown-to-HTML step puts between blocks
 * (between list items, around a list): message text keeps its own line
 * breaks (white-space: pre-wrap), so those would show as blank lines.
 */
export function rehypeTidyWhitespace() {
  const tidy = (children: RootContent[] | ElementContent[], blockParent: boolean) => {
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i];
      if (blockParent && c.type === 'text' && /^\s*$/.test(c.value)) children.splice(i, 1);
      else if (c.type === 'element' && c.tagName !== 'pre') tidy(c.children, BLOCK_PARENTS.has(c.tagName));
    }
  };
  return (tree: Root) => tidy(tree.children, true);
}

/** Where no mention is marked: code shows what was typed, a link already has its target. */
const NO_MENTIONS = new Set(['code', 'pre', 'a']);

/**
 * Marks "@name" for each of the given usernames (case-insensitively) as
 * `<span class="mention">`, outside code and links.
 */
export function rehypeMentions(options: { names: readonly string[] }) {
  const names = new Set(options.names.map((n) => n.toLowerCase()));
  const re = /(^|[^\w@])@([A-Za-z0-9_.-]*[A-Za-z0-9_])/g;
  const split = (t: Text): ElementContent[] | null => {
    const out: ElementContent[] = [];
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(t.value); m; m = re.exec(t.value)) {
      if (!names.has(m[2].toLowerCase())) continue;
      const at = m.index + m[1].length;
      if (at > last) out.push({ type: 'text', value: t.value.slice(last, at) });
      const mention: Element = { type: 'element', tagName: 'span', properties: { className: ['mention'] }, children: [{ type: 'text', value: `@${m[2]}` }] };
      out.push(mention);
      last = at + 1 + m[2].length;
    }
    if (!out.length) return null;
    if (last < t.value.length) out.push({ type: 'text', value: t.value.slice(last) });
    return out;
  };
  const walk = (children: ElementContent[]) => {
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i];
      if (c.type === 'text') {
        const parts = split(c);
        if (parts) children.splice(i, 1, ...parts);
      } else if (c.type === 'element' && !NO_MENTIONS.has(c.tagName)) walk(c.children);
    }
  };
  return (tree: Root) => {
    if (names.size) walk(tree.children as ElementContent[]);
  };
}
