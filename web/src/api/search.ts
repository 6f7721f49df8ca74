// GET /search: the request, the answer as the client keeps it, and what a
// failure says.
import { api, ApiError, errorText } from './client';
import type { Fragment, SearchHit } from './types';

/** The server's bounds of a search (domain/message/search.go). */
export const SEARCH_TEXT_MAX = 200;
export const SEARCH_PAGE = 20;

export interface SearchRequest {
  /** As typed: words and "quoted phrases". */
  q: string;
  /** One room only; 0 or absent: every room of the user. */
  roomId?: number;
  /** The cursor of the next page (next_before of the one before). */
  before?: number | null;
  limit?: number;
}

/** A page of hits as the client keeps it: next is null when there is nothing more to ask for. */
export interface SearchPage {
  hits: SearchHit[];
  next: number | null;
}

export function searchPath(r: SearchRequest): string {
  const p = new URLSearchParams({ q: r.q });
  if (r.roomId) p.set('room_id', String(r.roomId));
  if (r.before) p.set('before', String(r.before));
  if (r.limit) p.set('limit', String(r.limit));
  return `/search?${p}`;
}

function isFragment(f: unknown): f is Fragment {
  return !!f && typeof (f as Fragment).text === 'string';
}

/** The answer, checked: hits without a message are dropped, a snippet that is not a list becomes the message's text. */
export function asSearchPage(v: unknown): SearchPage {
  const body = (v && typeof v === 'object' ? v : {}) as { hits?: unknown; next_before?: unknown };
  const hits: SearchHit[] = [];
  for (const h of Array.isArray(body.hits) ? body.hits : []) {
    const m = h?.message;
    if (!m || typeof m.id !== 'number' || typeof m.room_id !== 'number') continue;
    const snippet = Array.isArray(h.snippet) ? h.snippet.filter(isFragment).map((f: Fragment) => ({ text: f.text, match: f.match === true })) : [];
    hits.push({ message: m, snippet: snippet.length ? snippet : [{ text: String(m.content ?? ''), match: false }] });
  }
  const next = typeof body.next_before === 'number' && body.next_before > 0 ? body.next_before : null;
  return { hits, next };
}

export async function searchMessages(r: SearchRequest, signal?: AbortSignal): Promise<SearchPage> {
  return asSearchPage(await api.get(searchPath(r), { signal }));
}

/** What a failed search says: a 429 with its wait, a server without search plainly, else the server's word. */
export function searchErrorText(e: unknown): string {
  if (e instanceof ApiError && e.code === 'search_off') return 'Search is turned off on this server.';
  return errorText(e);
}
