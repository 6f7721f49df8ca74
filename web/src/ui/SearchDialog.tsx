// "/" or the header's search button: find messages in the user's rooms (or
// the open one). Type, Enter searches; ↑ ↓ choose a result, Enter (or a
// click) opens the room at that message. The search lives in the app, not
// here: closing and opening again shows the same results.
import { useEffect, useRef, useState, type Dispatch, type KeyboardEvent } from 'react';
import { SEARCH_PAGE, SEARCH_TEXT_MAX, searchErrorText, searchMessages } from '../api/search';
import type { Room, SearchHit } from '../api/types';
import { isDirect } from '../state/direct';
import { searchSummary, wanted, type SearchAction, type SearchState } from '../state/search';
import { Dialog } from './Dialog';
import { fullTime, shortStamp } from './format';
import { Icon } from './Icon';

export type SearchScope = 'all' | 'room';

export function SearchDialog(props: {
  state: SearchState;
  dispatch: Dispatch<SearchAction>;
  scope: SearchScope;
  onScope: (scope: SearchScope) => void;
  /** The room open now ("this room"); none: only all rooms. */
  room: Room | undefined;
  /** The user's rooms, for the names of the rooms hits are in. */
  rooms: readonly Room[];
  onOpen: (hit: SearchHit) => void;
  onClose: () => void;
}) {
  const { state, dispatch, room } = props;
  const [text, setText] = useState(state.query);
  const scope: SearchScope = props.scope === 'room' && room ? 'room' : 'all';
  const roomId = scope === 'room' && room ? room.id : 0;
  const scopeText = scope === 'room' && room ? 'this room' : 'all your rooms';

  // Asks the server for what the state waits for; an answer to a search
  // replaced since is dropped by the state.
  const want = wanted(state);
  useEffect(() => {
    if (!want) return;
    const ctl = new AbortController();
    searchMessages({ q: want.q, roomId: want.roomId, before: want.before, limit: SEARCH_PAGE }, ctl.signal).then(
      (page) => dispatch({ type: 'page', gen: want.gen, hits: page.hits, next: page.next }),
      (e) => {
        if ((e as Error).name !== 'AbortError') dispatch({ type: 'failed', gen: want.gen, error: searchErrorText(e) });
      },
    );
    return () => ctl.abort();
    // One request per generation: the rest of `want` comes with it.
  }, [want?.gen, dispatch]);

  const run = (q = text, id = roomId) => dispatch({ type: 'search', query: q, roomId: id });
  const active = state.hits[Math.min(state.active, state.hits.length - 1)];

  // The result the keyboard is on stays in view.
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (active) list.current?.querySelector(`#search-hit-${active.message.id}`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      dispatch({ type: 'move', step: e.key === 'ArrowDown' ? 1 : -1 });
    } else if (e.key === 'Enter' && !e.nativeEvent.isComposing) {
      e.preventDefault();
      // The results shown are for these words: Enter opens the one chosen; else it searches.
      const current = text.trim() === state.query && roomId === state.roomId && state.status !== 'error';
      if (current && active) props.onOpen(active);
      else if (!current || state.status === 'idle') run();
    }
  }

  function changeScope(next: SearchScope) {
    props.onScope(next);
    if (state.query) run(state.query === text.trim() ? text : state.query, next === 'room' && room ? room.id : 0);
  }

  const summary = searchSummary(state, scopeText);
  return (
    <Dialog title="Search messages" onClose={props.onClose} className="search-dialog">
      <label className="sr-only" htmlFor="search-input">
        Search messages
      </label>
      <div className="search-field">
        <Icon name="search" size={16} />
        <input
          id="search-input"
          type="search"
          role="combobox"
          aria-expanded={state.hits.length > 0}
          aria-controls="search-results"
          aria-autocomplete="list"
          aria-activedescendant={active ? `search-hit-${active.message.id}` : undefined}
          aria-describedby="search-help"
          autoComplete="off"
          spellCheck={false}
          maxLength={SEARCH_TEXT_MAX}
          placeholder="Words, or “a phrase”"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          data-autofocus
        />
      </div>
      <fieldset className="search-scope">
        <legend className="sr-only">Search in</legend>
        <label>
          <input type="radio" name="search-scope" checked={scope === 'all'} onChange={() => changeScope('all')} />
          <span>All rooms</span>
        </label>
        <label className={room ? undefined : 'muted'}>
          <input type="radio" name="search-scope" checked={scope === 'room'} disabled={!room} onChange={() => changeScope('room')} />
          <span>This room</span>
          {room && (
            <span className="muted">
              (<bdi>{room.name}</bdi>)
            </span>
          )}
        </label>
      </fieldset>
      <p id="search-help" className="muted small-text">
        Enter searches; ↑ ↓ choose a result, Enter opens it. Words find their other forms and parts of longer words; “quoted phrases” are found as written.
      </p>
      <p className="search-summary small-text" role="status">
        {summary}
      </p>
      {state.status === 'error' && (
        <div className="search-error">
          <p className="error small-text" role="alert">
            {state.error}
          </p>
          <button className="small" onClick={() => (state.hits.length ? dispatch({ type: 'more' }) : run(state.query, state.roomId))}>
            Try again
          </button>
        </div>
      )}
      {state.hits.length > 0 && (
        <ul id="search-results" role="listbox" aria-label="Results" className="search-results" ref={list}>
          {state.hits.map((h, i) => (
            <Hit
              key={h.message.id}
              hit={h}
              room={props.rooms.find((r) => r.id === h.message.room_id)}
              active={h === active}
              onOpen={() => props.onOpen(h)}
              onHover={() => dispatch({ type: 'activate', index: i })}
            />
          ))}
        </ul>
      )}
      {state.next !== null && state.hits.length > 0 && state.status !== 'error' && (
        <button className="small ghost search-more" onClick={() => dispatch({ type: 'more' })} disabled={state.status === 'more'}>
          {state.status === 'more' ? 'Loading more results…' : 'More results'}
        </button>
      )}
    </Dialog>
  );
}

function Hit(props: { hit: SearchHit; room: Room | undefined; active: boolean; onOpen: () => void; onHover: () => void }) {
  const m = props.hit.message;
  const t = Date.parse(m.created_at);
  const room = props.room;
  return (
    <li id={`search-hit-${m.id}`} role="option" aria-selected={props.active} className={`search-hit${props.active ? ' active' : ''}`} onClick={props.onOpen} onMouseMove={props.onHover}>
      <div className="hit-meta small-text">
        <span className="hit-room">
          <Icon name={isDirect(room) ? 'at' : room?.is_private ? 'lock' : 'hash'} size={13} />
          <bdi>{room?.name ?? `Room ${m.room_id}`}</bdi>
        </span>
        <bdi className="hit-author">{m.username}</bdi>
        {!Number.isNaN(t) && (
          <time dateTime={m.created_at} title={fullTime(t)} className="muted">
            {shortStamp(t)}
          </time>
        )}
        {m.edited_at && <span className="muted">(edited)</span>}
      </div>
      <p className="hit-snippet" dir="auto">
        {props.hit.snippet.map((f, i) => (f.match ? <mark key={i}>{f.text}</mark> : <span key={i}>{f.text}</span>))}
      </p>
    </li>
  );
}
