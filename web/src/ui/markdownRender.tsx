// The Markdown renderer behind MessageBody, in a chunk of its own: the
// parser is as large as the rest of the app, and plain messages never need
// it. What it may produce is decided in markdown.ts.
import type { ReactNode } from 'react';
import Markdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { LINK } from './links';
import { rehypeMentions, rehypeTidyWhitespace, safeUrl } from './markdown';

function Heading(props: { children?: ReactNode }) {
  // A heading in a message would break the page's outline: it shows bold instead.
  return <p className="md-heading">{props.children}</p>;
}

const components: Components = {
  a: ({ href, children }) => {
    const url = href ? safeUrl(href) : null;
    return url ? (
      <a href={url} {...LINK}>
        {children}
      </a>
    ) : (
      <span>{children}</span>
    );
  },
  img: ({ src, alt }) => {
    const url = typeof src === 'string' ? safeUrl(src) : null;
    return url ? (
      <a href={url} {...LINK}>
        {alt || url}
      </a>
    ) : (
      <span>{alt}</span>
    );
  },
  h1: Heading,
  h2: Heading,
  h3: Heading,
  h4: Heading,
  h5: Heading,
  h6: Heading,
  // GFM task lists: a disabled checkbox with no label is noise to a screen reader.
  input: ({ checked }) => (
    <span className="md-task" role="img" aria-label={checked ? 'done' : 'not done'}>
      {checked ? '☑' : '☐'}
    </span>
  ),
};

const remarkPlugins = [remarkGfm];

/** The text as React elements. Markdown is a plain function of its props (no hooks), so the result can be kept and shown again. */
export function renderMarkdown(text: string, mentions: readonly string[]): ReactNode {
  return Markdown({
    children: text,
    remarkPlugins,
    rehypePlugins: mentions.length ? [rehypeTidyWhitespace, [rehypeMentions, { names: mentions }]] : [rehypeTidyWhitespace],
    components,
    urlTransform: (url) => safeUrl(url),
  });
}
