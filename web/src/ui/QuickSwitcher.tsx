// Ctrl+K: type part of a room's name, pick with the arrows, Enter opens it.
import { useMemo, useState, type KeyboardEvent } from 'react';
import type { Room } from '../api/types';
import { isDirect } from '../state/direct';
import { Dialog } from './Dialog';
import { Icon } from './Icon';
import { filterRooms } from './shortcuts';

export function QuickSwitcher(props: { rooms: readonly Room[]; mine: ReadonlySet<number>; onOpen: (room: Room) => void; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const list = useMemo(() => filterRooms(props.rooms, query, props.mine), [props.rooms, query, props.mine]);
  const current = list[Math.min(active, list.length - 1)];

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (list.length ? (Math.min(a, list.length - 1) + step + list.length) % list.length : 0));
    } else if (e.key === 'Enter' && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (current) props.onOpen(current);
    }
  }

  return (
    <Dialog title="Switch room" onClose={props.onClose} className="switcher">
      <label className="sr-only" htmlFor="switcher-input">
        Room name
      </label>
      <input
        id="switcher-input"
        role="combobox"
        aria-expanded={list.length > 0}
        aria-controls="switcher-list"
        aria-autocomplete="list"
        aria-activedescendant={current ? `switcher-${current.id}` : undefined}
        autoComplete="off"
        spellCheck={false}
        placeholder="Type a room name"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
      />
      {list.length === 0 ? (
        <p className="muted small-text" role="status">
          No room matches.
        </p>
      ) : (
        <ul id="switcher-list" role="listbox" aria-label="Rooms" className="switcher-list">
          {list.map((r) => (
            <li
              key={r.id}
              id={`switcher-${r.id}`}
              role="option"
              aria-selected={r === current}
              className={r === current ? 'active' : undefined}
              onClick={() => props.onOpen(r)}
              onMouseMove={() => setActive(list.indexOf(r))}
            >
              <span className="room-hash">
                <Icon name={isDirect(r) ? 'at' : r.is_private ? 'lock' : 'hash'} size={15} />
              </span>
              <span className="room-name" dir="auto">
                {r.name}
              </span>
              {!props.mine.has(r.id) && <span className="muted small-text">not joined</span>}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small-text">↑ ↓ to choose, Enter to open, Esc to close.</p>
    </Dialog>
  );
}
