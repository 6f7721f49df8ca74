// The state of a message search: what was asked, the hits so far page by
// page, and where the keyboard is among them. Pure, so paging, stale
// answers and the wording of each state are unit-tested; the view asks the
// server for what `wanted` says.

import type { SearchHit } from '../api/types';

export type SearchStatus = 'idle' | 'loading' | 'more' | 'done' | 'error';

export interface SearchState {
  /** The words searched for, trimmed ('' before any search). */
  query: string;
  /** The room searched; 0: every room of the user. */
  roomId: number;
  /** Newest first, each message once. */
  hits: SearchHit[];
  /** The cursor of the next page; null: no more. */
  next: number | null;
  status: SearchStatus;
  error: string | null;
  /** Bumped by every request: an answer to an older one is dropped. */
  gen: number;
  /** The hit the keyboard is on. */
  active: number;
}

export type SearchAction =
  | { type: 'search'; query: string; roomId: number }
  | { type: 'more' }
  | { type: 'page'; gen: number; hits: SearchHit[]; next: number | null }
  | { type: 'failed'; gen: number; error: string }
  /** Moves the keyboard's hit, wrapping round. */
  | { type: 'move'; step: 1 | -1 }
  | { type: 'activate'; index: number }
  | { type: 'clear' };

export const initialSearch: SearchState = { query: '', roomId: 0, hits: [], next: null, status: 'idle', error: null, gen: 0, active: 0 };

export function searchReducer(s: SearchState, a: SearchAction): SearchState {
  switch (a.type) {
    case 'search': {
      const query = a.query.trim();
      if (!query) return { ...initialSearch, gen: s.gen + 1 };
      return { ...initialSearch, query, roomId: a.roomId, status: 'loading', gen: s.gen + 1 };
    }
    case 'more':
      return s.next !== null && (s.status === 'done' || s.status === 'error') && s.hits.length > 0 ? { ...s, status: 'more', error: null, gen: s.gen + 1 } : s;
    case 'page': {
      if (a.gen !== s.gen) return s;
      const seen = new Set(s.hits.map((h) => h.message.id));
      const fresh = a.hits.filter((h) => !seen.has(h.message.id) && seen.add(h.message.id));
      // A page that brought nothing new cannot lead anywhere new either.
      const next = fresh.length ? a.next : null;
      return { ...s, hits: [...s.hits, ...fresh], next, status: 'done', error: null };
    }
    case 'failed':
      return a.gen === s.gen ? { ...s, status: 'error', error: a.error } : s;
    case 'move': {
      if (!s.hits.length) return s;
      return { ...s, active: (Math.min(s.active, s.hits.length - 1) + a.step + s.hits.length) % s.hits.length };
    }
    case 'activate':
      return a.index >= 0 && a.index < s.hits.length && a.index !== s.active ? { ...s, active: a.index } : s;
    case 'clear':
      return { ...initialSearch, gen: s.gen + 1 };
  }
}

/** The request the state waits for: the first page or the next one; null when none. */
export function wanted(s: SearchState): { q: string; roomId: number; before: number | null; gen: number } | null {
  if (s.status === 'loading') return { q: s.query, roomId: s.roomId, before: null, gen: s.gen };
  if (s.status === 'more' && s.next !== null) return { q: s.query, roomId: s.roomId, before: s.next, gen: s.gen };
  return null;
}

/** What the results line says (read out as it changes). */
export function searchSummary(s: SearchState, scope: string): string {
  switch (s.status) {
    case 'idle':
      return '';
    case 'loading':
      return 'Searching…';
    case 'error':
      return s.hits.length ? `${count(s.hits.length)} — more could not be loaded.` : 'The search failed.';
    default:
      if (!s.hits.length) return `No messages match “${s.query}” in ${scope}.`;
      return s.next !== null || s.status === 'more' ? `${count(s.hits.length)} so far in ${scope}` : `${count(s.hits.length)} in ${scope}`;
  }
}

function count(n: number): string {
  return n === 1 ? '1 message' : `${n} messages`;
}
