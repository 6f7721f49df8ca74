import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, setToken } from './client';
import { asSearchPage, searchErrorText, searchMessages, searchPath } from './search';
import { MemoryStorage, msg } from '../test/fakes';

describe('search client', () => {
  beforeEach(() => vi.stubGlobal('localStorage', new MemoryStorage()));
  afterEach(() => vi.unstubAllGlobals());

  it('puts the words, the room and the cursor in the query, leaving out what is not set', () => {
    expect(searchPath({ q: 'сообщение "о релизе"' })).toBe('/search?q=%D1%81%D0%BE%D0%BE%D0%B1%D1%89%D0%B5%D0%BD%D0%B8%D0%B5+%22%D0%BE+%D1%80%D0%B5%D0%BB%D0%B8%D0%B7%D0%B5%22');
    expect(searchPath({ q: 'a&b', roomId: 4, before: 99, limit: 20 })).toBe('/search?q=a%26b&room_id=4&before=99&limit=20');
    expect(searchPath({ q: 'x', roomId: 0, before: null })).toBe('/search?q=x');
  });

  it('reads a page: hits with their snippets, and the cursor only when the server gave one', () => {
    const m = msg(7, 3, { content: 'Сообщения о релизе' });
    expect(asSearchPage({ hits: [{ message: m, snippet: [{ text: 'Сообщен', match: true }, { text: 'ия о релизе', match: false }] }], next_before: 7 })).toEqual({
      hits: [{ message: m, snippet: [{ text: 'Сообщен', match: true }, { text: 'ия о релизе', match: false }] }],
      next: 7,
    });
    expect(asSearchPage({ hits: [] })).toEqual({ hits: [], next: null });
    // What cannot be shown is dropped; a missing snippet shows the text.
    expect(asSearchPage({ hits: [{ message: { id: 'x' } }, { snippet: [] }, { message: m }] })).toEqual({
      hits: [{ message: m, snippet: [{ text: 'Сообщения о релизе', match: false }] }],
      next: null,
    });
    expect(asSearchPage(null)).toEqual({ hits: [], next: null });
  });

  it('asks with the token and gives the page', async () => {
    setToken('tok');
    const f = vi.fn(async () => new Response(JSON.stringify({ hits: [{ message: msg(2, 2), snippet: [{ text: 'm2', match: true }] }], next_before: 2 }), { status: 200 }));
    vi.stubGlobal('fetch', f);
    const page = await searchMessages({ q: 'm2', roomId: 1 });
    expect(page.next).toBe(2);
    expect(page.hits.map((h) => h.message.id)).toEqual([2]);
    const [path, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toBe('/search?q=m2&room_id=1');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('words a rate limit with its wait and a server without search plainly', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ status: 429, code: 'rate_limited', detail: 'too many searches' }), { status: 429, headers: { 'Retry-After': '7' } })),
    );
    const err = await searchMessages({ q: 'a' }).catch((e) => e);
    expect(err).toMatchObject({ status: 429, retryAfter: 7 });
    expect(searchErrorText(err)).toBe('Too many requests — try again in 7 s');
    expect(searchErrorText(new ApiError(503, 'search_off', 'search is turned off on this server'))).toBe('Search is turned off on this server.');
    expect(searchErrorText(new ApiError(422, 'query_too_long', 'search is longer than 200 characters'))).toBe('search is longer than 200 characters');
  });
});
