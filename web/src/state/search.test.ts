import { describe, expect, it } from 'vitest';
import { initialSearch, searchReducer, searchSummary, wanted, type SearchAction, type SearchState } from './search';
import type { SearchHit } from '../api/types';
import { msg } from '../test/fakes';

const run = (actions: SearchAction[], s: SearchState = initialSearch) => actions.reduce(searchReducer, s);
const hit = (id: number): SearchHit => ({ message: msg(id, id), snippet: [{ text: `m${id}`, match: true }] });
const ids = (s: SearchState) => s.hits.map((h) => h.message.id);

describe('search state', () => {
  it('asks for the first page, then the next one from its cursor, until a page has none', () => {
    let s = run([{ type: 'search', query: '  сообщение  ', roomId: 0 }]);
    expect(wanted(s)).toEqual({ q: 'сообщение', roomId: 0, before: null, gen: s.gen });
    expect(searchSummary(s, 'all rooms')).toBe('Searching…');
    s = run([{ type: 'page', gen: s.gen, hits: [hit(9), hit(8)], next: 8 }], s);
    expect(ids(s)).toEqual([9, 8]);
    expect(wanted(s)).toBeNull();
    expect(searchSummary(s, 'all rooms')).toBe('2 messages so far in all rooms');
    s = run([{ type: 'more' }], s);
    expect(wanted(s)).toEqual({ q: 'сообщение', roomId: 0, before: 8, gen: s.gen });
    // The server may give a hit again (a message edited between pages): once here.
    s = run([{ type: 'page', gen: s.gen, hits: [hit(8), hit(3)], next: null }], s);
    expect(ids(s)).toEqual([9, 8, 3]);
    expect(s.next).toBeNull();
    expect(run([{ type: 'more' }], s)).toBe(s);
    expect(searchSummary(s, 'all rooms')).toBe('3 messages in all rooms');
  });

  it('drops the answer to a search that was replaced', () => {
    const first = run([{ type: 'search', query: 'deploy', roomId: 0 }]);
    const second = run([{ type: 'search', query: 'deploy', roomId: 4 }], first);
    const s = run([{ type: 'page', gen: first.gen, hits: [hit(1)], next: null }], second);
    expect(s).toBe(second);
    expect(wanted(s)).toMatchObject({ roomId: 4 });
    expect(run([{ type: 'failed', gen: first.gen, error: 'x' }], second)).toBe(second);
  });

  it('says so when nothing matches, and when a search fails', () => {
    let s = run([{ type: 'search', query: '部署', roomId: 3 }]);
    expect(searchSummary(run([{ type: 'page', gen: s.gen, hits: [], next: null }], s), 'this room')).toBe('No messages match “部署” in this room.');
    s = run([{ type: 'failed', gen: s.gen, error: 'Too many requests — try again in 7 s' }], s);
    expect(s).toMatchObject({ status: 'error', error: 'Too many requests — try again in 7 s' });
    expect(searchSummary(s, 'this room')).toBe('The search failed.');
  });

  it('keeps the hits when a further page fails, and asks again for it', () => {
    let s = run([{ type: 'search', query: 'a', roomId: 0 }]);
    s = run([{ type: 'page', gen: s.gen, hits: [hit(5)], next: 5 }, { type: 'more' }], s);
    s = run([{ type: 'failed', gen: s.gen, error: 'down' }], s);
    expect(ids(s)).toEqual([5]);
    expect(searchSummary(s, 'all rooms')).toBe('1 message — more could not be loaded.');
    s = run([{ type: 'more' }], s);
    expect(wanted(s)).toMatchObject({ before: 5 });
  });

  it('an empty search asks nothing and clears the hits', () => {
    let s = run([{ type: 'search', query: 'a', roomId: 0 }]);
    s = run([{ type: 'page', gen: s.gen, hits: [hit(5)], next: null }, { type: 'search', query: '   ', roomId: 0 }], s);
    expect(s).toMatchObject({ status: 'idle', hits: [], query: '' });
    expect(wanted(s)).toBeNull();
  });

  it('moves the keyboard among the hits, wrapping round', () => {
    let s = run([{ type: 'search', query: 'a', roomId: 0 }]);
    s = run([{ type: 'page', gen: s.gen, hits: [hit(3), hit(2), hit(1)], next: null }], s);
    expect(s.active).toBe(0);
    expect(run([{ type: 'move', step: -1 }], s).active).toBe(2);
    expect(run([{ type: 'move', step: 1 }, { type: 'move', step: 1 }, { type: 'move', step: 1 }], s).active).toBe(0);
    expect(run([{ type: 'activate', index: 1 }], s).active).toBe(1);
    expect(run([{ type: 'activate', index: 7 }], s)).toBe(s);
    expect(run([{ type: 'move', step: 1 }], initialSearch)).toBe(initialSearch);
  });
});
