import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { mayBeMarkdown, safeUrl } from './markdown';
import { loadMarkdown, MessageBody } from './MessageBody';

beforeAll(() => loadMarkdown());

const html = (text: string, mentions?: string[]) => renderToStaticMarkup(createElement(MessageBody, { text, mentions }));

describe('MessageBody: nothing in a message runs or loads', () => {
  it('shows a <script> in a code block as text', () => {
    const out = html('```\n<script>alert(1)</script>\n```');
    expect(out).toContain('<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>');
    expect(out).not.toContain('<script');
  });

  it('shows raw HTML outside code as the text that was typed', () => {
    const out = html('hi <img src=x onerror="alert(1)"> and <script>alert(2)</script>');
    expect(out).not.toMatch(/<img|<script/);
    expect(out).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(out).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('turns no javascript:, data: or relative target into a link', () => {
    for (const md of [
      '[click](javascript:alert(1))',
      '[click](JavaScript:alert(1))',
      '[click](java&#x0A;script:alert(1))',
      '[click](data:text/html,<script>alert(1)</script>)',
      '[click](/auth/logout)',
      '<javascript:alert(1)>',
    ]) {
      const out = html(md);
      expect(out, md).not.toContain('<a');
      expect(out, md).not.toMatch(/href=/);
    }
    expect(html('[click](javascript:alert(1))')).toContain('<span>click</span>');
  });

  it('opens http(s) and mailto links in a new tab that cannot reach back', () => {
    const rel = 'target="_blank" rel="noopener noreferrer nofollow"';
    expect(html('[docs](https://a.example/x)')).toContain(`<a href="https://a.example/x" ${rel}>docs</a>`);
    expect(html('see https://a.example/y.')).toContain(`<a href="https://a.example/y" ${rel}>https://a.example/y</a>.`);
    expect(html('plain https://a.example/z')).toContain(`<a href="https://a.example/z" ${rel}>`);
    expect(html('[mail](mailto:a@b.example)')).toContain(`<a href="mailto:a@b.example" ${rel}>mail</a>`);
  });

  it('makes images links, never loads them', () => {
    const out = html('![a cat](https://img.example/cat.png)');
    expect(out).not.toContain('<img');
    expect(out).toContain('<a href="https://img.example/cat.png" target="_blank" rel="noopener noreferrer nofollow">a cat</a>');
    expect(html('![x](javascript:alert(1))')).not.toContain('href');
  });
});

describe('MessageBody: Markdown', () => {
  it('renders bold, inline code, lists, quotes and code blocks', () => {
    expect(html('**bold** and `a < b`')).toBe('<div class="msg-body"><p><strong>bold</strong> and <code>a &lt; b</code></p></div>');
    expect(html('- one\n- two')).toBe('<div class="msg-body"><ul><li>one</li><li>two</li></ul></div>');
    expect(html('1. one\n2. two')).toBe('<div class="msg-body"><ol><li>one</li><li>two</li></ol></div>');
    expect(html('> quoted')).toBe('<div class="msg-body"><blockquote><p>quoted</p></blockquote></div>');
    expect(html('```js\nlet a = 1;\n\nlet b;\n```')).toBe('<div class="msg-body"><pre><code class="language-js">let a = 1;\n\nlet b;\n</code></pre></div>');
    expect(html('~~gone~~')).toContain('<del>gone</del>');
  });

  it('keeps the line breaks of plain text and shows headings as bold lines', () => {
    expect(html('line one\nline two')).toBe('<div class="msg-body"><p>line one\nline two</p></div>');
    expect(html('# Title')).toBe('<div class="msg-body"><p class="md-heading">Title</p></div>');
  });

  it('marks task list items with a readable symbol instead of an unlabelled checkbox', () => {
    const out = html('- [x] done\n- [ ] open');
    expect(out).not.toContain('<input');
    expect(out).toContain('aria-label="done"');
    expect(out).toContain('aria-label="not done"');
  });

  it('highlights mentions of the given names, not in code or links', () => {
    expect(html('hi @Bob and @bobby', ['bob'])).toBe('<div class="msg-body"><p>hi <span class="mention">@Bob</span> and @bobby</p></div>');
    expect(html('`@bob`', ['bob'])).toBe('<div class="msg-body"><p><code>@bob</code></p></div>');
    expect(html('mail bob@x.example', ['x'])).not.toContain('mention');
  });
});

describe('MessageBody before the renderer is there', () => {
  it('shows the text as typed, links included, never as HTML', async () => {
    // A fresh copy of the module, whose renderer has not been fetched.
    const { renderMessage } = await import('./MessageBody?fresh' as string);
    const out = renderToStaticMarkup(createElement('div', null, renderMessage('**hi** <script>x</script> https://a.example')));
    expect(out).toBe('<div><p>**hi** &lt;script&gt;x&lt;/script&gt; <a href="https://a.example" target="_blank" rel="noopener noreferrer nofollow">https://a.example</a></p></div>');
  });
});

describe('mayBeMarkdown', () => {
  it('lets plain words skip the parser', () => {
    expect(mayBeMarkdown('hello there, how are you?')).toBe(false);
    expect(mayBeMarkdown('line one\nline two')).toBe(false);
    expect(mayBeMarkdown('time: 10.30')).toBe(false);
  });
  it('sends anything that may format or link to the parser', () => {
    for (const t of ['**b**', 'a `c`', '- item', '1. item', '> q', 'x https://a.example', 'www.a.example', 'a@b.example', 'a &amp; b', '<b>', '# h']) {
      expect(mayBeMarkdown(t), t).toBe(true);
    }
  });
});

describe('safeUrl', () => {
  it('accepts absolute http, https and mailto URLs only', () => {
    expect(safeUrl('https://a.example/x')).toBe('https://a.example/x');
    expect(safeUrl('HTTP://a.example')).toBe('HTTP://a.example');
    expect(safeUrl('mailto:a@b.example')).toBe('mailto:a@b.example');
    for (const u of ['javascript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'vbscript:x', '/relative', '#/profile', 'ftp://a.example', '']) {
      expect(safeUrl(u), u).toBeNull();
    }
  });
});
