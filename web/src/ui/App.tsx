import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { api, ApiError, asArray, errorText, getToken, onUnauthorized, signOut } from '../api/client';
import type { Room, SearchHit, User } from '../api/types';
import { isDirect, withDirectNames } from '../state/direct';
import { roomListReducer, titleWithUnread, totalUnread } from '../state/roomList';
import { useAttention } from './attention';
import { AuthScreen } from './AuthScreen';
import { Avatar } from './Avatar';
import { Icon } from './Icon';
import { ChatView } from './ChatView';
import { browserStorage, clearDrafts, loadLastRoom, saveLastRoom } from '../state/drafts';
import { modalOpen } from './Dialog';
import { InviteGate } from './Invites';
import { forgetInvite, inviteCodeFromPath, pendingInvite } from './invites';
import { isMine, loadJoined, removalText, saveJoined } from './membership';
import { loadMarkdown } from './MessageBody';
import { listenForOpenRoom } from '../net/push';
import { ProfileView } from './ProfileView';
import { AdminView } from './AdminView';
import { QuickSwitcher } from './QuickSwitcher';
import { SearchDialog, type SearchScope } from './SearchDialog';
import { initialSearch, searchReducer } from '../state/search';
import type { RoomTarget } from './useRoom';
import { navigate, parseRoute, useRoute } from './router';
import { ShortcutHelp } from './ShortcutHelp';
import { adjacentRoom, isTyping, shortcutFor } from './shortcuts';
import { Sidebar } from './Sidebar';
import { useUserStream } from './useUserStream';

/** Session storage, or a stand-in where the browser refuses it. */
function sessionStore(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  try {
    return window.sessionStorage;
  } catch {
    return { getItem: () => null, setItem: () => {}, removeItem: () => {} };
  }
}

/** Moves focus to the first element matching selector (a skip link's target). */
function focusFirst(selector: string) {
  return (e: { preventDefault: () => void }) => {
    const el = document.querySelector<HTMLElement>(selector);
    if (!el) return;
    e.preventDefault();
    el.focus();
  };
}

const TITLE = 'Chat';

export function App() {
  const [token, setTok] = useState<string | null>(() => getToken());
  const [me, setMe] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  // A request refused after the session already ended here (signed out, the
  // account deleted) must not replace the word on why it ended.
  const signedIn = useRef(token !== null);
  signedIn.current = token !== null;
  useEffect(
    () =>
      onUnauthorized((reason) => {
        if (reason) setNotice(reason); // a suspension says so, whenever it is learnt
        if (!signedIn.current) return;
        signedIn.current = false;
        setTok(null);
        setMe(null);
        // The stream's close can come just after the app said why it ended
        // (the account was deleted): that word stays.
        setNotice((said) => said ?? 'Your session has ended. Please sign in again.');
      }),
    [],
  );

  const loadMe = useCallback(() => {
    setLoadError(null);
    api
      .get<User>('/users/me')
      .then(setMe)
      .catch((e) => {
        if (!(e instanceof ApiError && e.status === 401)) setLoadError(errorText(e));
      });
  }, []);

  useEffect(() => {
    if (token) loadMe();
  }, [token, loadMe]);

  if (!token) {
    const invited = pendingInvite(sessionStore(), location.pathname) !== null;
    return (
      <AuthScreen
        notice={notice ?? (invited ? 'You were invited to a room: sign in or create an account to join it.' : null)}
        onSignedIn={(t) => {
          setNotice(null);
          setTok(t);
        }}
      />
    );
  }
  if (!me) {
    return (
      <main className="splash">
        {loadError ? (
          <div className="splash-card">
            <p className="error" role="alert">
              {loadError}
            </p>
            <button onClick={loadMe}>Try again</button>{' '}
            <button
              onClick={() => {
                void signOut().catch(() => {});
                setTok(null);
              }}
            >
              Sign out
            </button>
          </div>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </main>
    );
  }
  // The session is over (signed out here, everywhere, or the account is
  // gone): back to the sign-in form with a word on why. Drafts go with it;
  // the last room stays, to open again at the next sign-in.
  const ended = (why: string) => {
    clearDrafts(browserStorage(), me.id);
    // At once: the socket's 4401 for the same ending may land before the next render.
    signedIn.current = false;
    setTok(null);
    setMe(null);
    setNotice(why);
    navigate('/');
  };
  return (
    <Shell
      key={me.id}
      me={me}
      setMe={setMe}
      signOut={() => {
        // The job dashboard's cookie goes first, while the token still works.
        if (me.is_admin) void api.del('/admin/jobs/session', undefined, { noSignOut: true }).catch(() => {});
        // The server ends this session; the token is forgotten here at once,
        // whether or not the server could be reached.
        void signOut().catch(() => {});
        ended('You have signed out.');
      }}
      onEnded={ended}
    />
  );
}

function Shell(props: { me: User; setMe: (u: User) => void; signOut: () => void; onEnded: (why: string) => void }) {
  const { me } = props;
  const route = useRoute();
  const stream = useUserStream(me.id);
  const attention = useAttention();
  const [listedRooms, dispatchRooms] = useReducer(roomListReducer, []);
  // Direct conversations are shown by the other people's names.
  const rooms = useMemo(() => withDirectNames(listedRooms, me.username), [listedRooms, me.username]);
  const [roomsError, setRoomsError] = useState<string | null>(null);
  const [joined, setJoined] = useState<Set<number>>(() => loadJoined(me.id));
  const [drawer, setDrawer] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [overlay, setOverlay] = useState<'help' | 'switcher' | 'search' | null>(null);
  // The last search and its results stay while the app is open: the search
  // opens again where it was left.
  const [search, dispatchSearch] = useReducer(searchReducer, initialSearch);
  const [searchScope, setSearchScope] = useState<SearchScope>('all');
  // The message a search hit opens its room at, until another room is open.
  const [target, setTarget] = useState<(RoomTarget & { roomId: number }) | null>(null);
  const targets = useRef(0);
  const [invite, setInvite] = useState<string | null>(() => pendingInvite(sessionStore(), location.pathname));
  // The code is kept in session storage now: the address goes back to the app's own.
  useEffect(() => {
    if (inviteCodeFromPath(location.pathname)) history.replaceState(null, '', `/${location.hash}`);
  }, []);
  // A clicked notification opens its room in this tab (see public/sw.js).
  useEffect(() => listenForOpenRoom(), []);
  const meRef = useRef(me);
  meRef.current = me;
  const openId = route.name === 'room' ? route.id : null;
  // The room being read now: open, on a visible page with focus. Live
  // messages there do not count as unread.
  const reading = attention ? openId : null;

  const [listed, setListed] = useState(false);
  const refreshRooms = useCallback(async () => {
    try {
      dispatchRooms({ type: 'list', rooms: asArray<Room>(await api.get('/rooms')) });
      setListed(true);
      setRoomsError(null);
    } catch (e) {
      setRoomsError(errorText(e));
    }
  }, []);

  useEffect(() => {
    void refreshRooms();
  }, [refreshRooms]);

  // The Markdown renderer is a chunk of its own: fetched now, while the rooms load.
  useEffect(() => {
    loadMarkdown().catch(() => {});
  }, []);

  // What to say when the open room goes away by this user's own doing
  // (leaving, deleting it), set before the request so that the stream's
  // room_removed, which may overtake the response, says the same.
  const ownRemoval = useRef(new Map<number, string>());
  const live = useRef({ rooms, openId, reading });
  live.current = { rooms, openId, reading };

  useEffect(() => {
    let readies = 0;
    return stream.listen((ev) => {
      const now = live.current;
      if (ev.type === 'room_removed') {
        const name = now.rooms.find((r) => r.id === ev.room_id)?.name;
        const own = ownRemoval.current.get(ev.room_id);
        ownRemoval.current.delete(ev.room_id);
        if (ev.room_id === now.openId) {
          setFlash(own ?? removalText(ev.reason, ev.deleted, name ?? 'the room'));
          navigate('/');
        } else if (!own && name) {
          // Another room, on another device or by someone else: still worth a word.
          setFlash(removalText(ev.reason, ev.deleted, name));
        }
      }
      // A new name or avatar of the user, made on another device.
      if (ev.type === 'user_updated' && ev.user_id === meRef.current.id) {
        const m = meRef.current;
        const next = {
          ...m,
          username: ev.username || m.username,
          display_name: ev.display_name === undefined ? m.display_name : ev.display_name,
          avatar_url: ev.avatar_url === undefined ? m.avatar_url : ev.avatar_url,
        };
        if (next.username !== m.username || next.display_name !== m.display_name || next.avatar_url !== m.avatar_url) props.setMe(next);
      }
      dispatchRooms({ type: 'event', event: ev, me: me.id, reading: now.reading });
      // Rooms created, joined or lost while the stream was down were not
      // announced: after a reconnect the list is read again.
      if (ev.type === 'ready' && readies++ > 0) void refreshRooms();
    });
  }, [stream, me.id, refreshRooms, props.setMe]);

  const onRead = useCallback((roomId: number, seq: number) => dispatchRooms({ type: 'read_local', roomId, seq }), []);

  const markJoined = useCallback(
    (id: number, member: boolean) => {
      // The listed copy's is_member is what the sidebar believes: keep it current.
      dispatchRooms({ type: 'membership', roomId: id, member });
      setJoined((prev) => {
        if (prev.has(id) === member) return prev;
        const next = new Set(prev);
        if (member) next.add(id);
        else next.delete(id);
        saveJoined(me.id, next);
        return next;
      });
    },
    [me.id],
  );

  useEffect(() => setDrawer(false), [route]);
  useEffect(() => setTarget((t) => (t && t.roomId !== openId ? null : t)), [openId]);

  // The room open last comes back after a reload or the next sign-in, once
  // the list shows it is still the user's; going home forgets it.
  const [lastRoom, setLastRoom] = useState(() => (route.name === 'home' ? loadLastRoom(browserStorage(), me.id) : null));
  useEffect(() => {
    if (route.name === 'room') saveLastRoom(browserStorage(), me.id, route.id);
    else if (route.name === 'home' && lastRoom === null) saveLastRoom(browserStorage(), me.id, null);
  }, [route, me.id, lastRoom]);
  useEffect(() => {
    if (lastRoom === null || !listed) return;
    setLastRoom(null);
    if (route.name !== 'home') return;
    const room = rooms.find((r) => r.id === lastRoom);
    if (room && isMine(room, me.id, joined)) navigate(`/rooms/${room.id}`);
  }, [lastRoom, listed, route, rooms, me.id, joined]);
  // The drawer (phones) takes focus while open and gives it back to its button.
  const drawerWasOpen = useRef(false);
  useEffect(() => {
    if (drawer) {
      drawerWasOpen.current = true;
      requestAnimationFrame(() => document.querySelector<HTMLElement>('.sidebar a, .sidebar button')?.focus());
    } else if (drawerWasOpen.current) {
      drawerWasOpen.current = false;
      if (getComputedStyle(menuButton.current ?? document.body).display !== 'none' && document.activeElement?.closest('.sidebar')) menuButton.current?.focus();
    }
  }, [drawer]);
  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => setFlash(null), 6000);
    return () => clearTimeout(t);
  }, [flash]);

  const mine = useMemo(() => rooms.filter((r) => isMine(r, me.id, joined)), [rooms, me.id, joined]);
  const others = useMemo(() => rooms.filter((r) => !isMine(r, me.id, joined) && !isDirect(r)), [rooms, me.id, joined]);
  const mineRooms = useMemo(() => mine.filter((r) => !isDirect(r)), [mine]);
  const directs = useMemo(() => mine.filter(isDirect), [mine]);
  const unread = totalUnread(mine);
  useEffect(() => {
    document.title = titleWithUnread(TITLE, unread);
  }, [unread]);
  useEffect(
    () => () => {
      document.title = TITLE;
    },
    [],
  );
  const currentRoom = openId === null ? undefined : rooms.find((r) => r.id === openId);
  const mineIds = useMemo(() => new Set(mine.map((r) => r.id)), [mine]);
  // Alt+Up/Down follow the sidebar's order: rooms, then direct conversations.
  const order = useMemo(() => {
    const byName = (a: Room, b: Room) => a.name.localeCompare(b.name);
    return [...[...mineRooms].sort(byName), ...[...directs].sort(byName)].map((r) => r.id);
  }, [mineRooms, directs]);

  const keys = useRef({ order, drawer });
  keys.current = { order, drawer };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      const what = shortcutFor(e, isTyping(e.target));
      if (!what) return;
      const k = keys.current;
      if (what === 'escape') {
        // Dialogs close themselves; the drawer is the app's.
        if (modalOpen() || !k.drawer) return;
        e.preventDefault();
        setDrawer(false);
        menuButton.current?.focus();
        return;
      }
      if (modalOpen()) return;
      e.preventDefault();
      if (what === 'help') setOverlay('help');
      else if (what === 'switcher') setOverlay('switcher');
      else if (what === 'search') setOverlay('search');
      else {
        // From the address, not the last render: a second press can come before the first one's render.
        const at = parseRoute(location.hash);
        const id = adjacentRoom(k.order, at.name === 'room' ? at.id : null, what === 'nextRoom' ? 1 : -1);
        if (id !== null) navigate(`/rooms/${id}`);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const home = route.name === 'home';

  /** Opens the direct conversation with the people named (POST /dms) and goes there; rejects with the reason. */
  const openDirect = useCallback(
    async (people: { user_id: number } | { usernames: string[] }) => {
      const room = await api.post<Room>('/dms', people);
      dispatchRooms({ type: 'upsert', room: { last_seq: 0, last_read_seq: 0, unread_count: 0, ...room, is_member: true } });
      markJoined(room.id, true);
      navigate(`/rooms/${room.id}`);
    },
    [markJoined],
  );
  const openDirectWith = useCallback((userId: number) => openDirect({ user_id: userId }), [openDirect]);

  /** Opens the room of a search hit at that message. */
  const openHit = useCallback((hit: SearchHit) => {
    setOverlay(null);
    setTarget({ roomId: hit.message.room_id, messageId: hit.message.id, n: ++targets.current });
    navigate(`/rooms/${hit.message.room_id}`);
  }, []);

  async function join(room: Room) {
    try {
      await api.post(`/rooms/${room.id}/join`);
      markJoined(room.id, true);
      navigate(`/rooms/${room.id}`);
    } catch (e) {
      setFlash(errorText(e));
    }
  }

  return (
    <div className={`app ${home ? 'at-home' : ''} ${drawer ? 'drawer-open' : ''}`}>
      <nav className="skip-links" aria-label="Skip links">
        {route.name === 'room' ? (
          <>
            <a className="skip-link" href="#main" onClick={focusFirst('.messages')}>
              Skip to messages
            </a>
            <a className="skip-link" href="#main" onClick={focusFirst('#composer-text')}>
              Skip to composer
            </a>
          </>
        ) : (
          <a className="skip-link" href="#main" onClick={focusFirst('#main')}>
            Skip to main content
          </a>
        )}
      </nav>
      <header className="topbar">
        <button
          ref={menuButton}
          className="icon-button menu-button"
          aria-label={unread > 0 ? `Show rooms, ${unread} unread` : 'Show rooms'}
          aria-expanded={drawer}
          onClick={() => setDrawer((d) => !d)}
        >
          <Icon name="menu" size={20} />
          {unread > 0 && (
            <span className="menu-unread" aria-hidden="true">
              {unread > 99 ? '99+' : unread}
            </span>
          )}
        </button>
        <a className="brand" href="#/">
          <span className="brand-mark" aria-hidden="true">
            ●
          </span>{' '}
          Chat
        </a>
        <button className="search-button" onClick={() => setOverlay('search')} aria-haspopup="dialog" aria-label="Search messages" aria-keyshortcuts="/ Control+Shift+F" title="Search messages (/)">
          <Icon name="search" size={16} />
          <span className="search-label" aria-hidden="true">
            Search messages
          </span>
          <kbd className="search-key" aria-hidden="true">
            /
          </kbd>
        </button>
        <div className="topbar-spacer" />
        <button className="ghost shortcut-button" onClick={() => setOverlay('help')} aria-haspopup="dialog" title="Keyboard shortcuts (?)">
          <span aria-hidden="true">?</span>
          <span className="sr-only">Keyboard shortcuts</span>
        </button>
        {me.is_admin && (
          <a className="ghost button admin-link" href="#/admin">
            Admin
          </a>
        )}
        {/* Named by what it shows (the user's name), so speech input finds it by what is seen. */}
        <a className="me-chip" href="#/profile" title="Your profile">
          <Avatar name={me.display_name || me.username} id={me.id} url={me.avatar_url} size={28} />
          <bdi className="me-name">{me.display_name || me.username}</bdi>
          <span className="sr-only"> (your profile)</span>
        </a>
        <button className="ghost" onClick={props.signOut}>
          Sign out
        </button>
      </header>
      {flash && (
        <div className="flash" role="alert">
          {flash}
          <button className="icon-button" aria-label="Dismiss" onClick={() => setFlash(null)}>
            <Icon name="close" />
          </button>
        </div>
      )}
      <div className="layout">
        <Sidebar
          mine={mineRooms}
          direct={directs}
          onOpenDirect={(usernames) => openDirect({ usernames })}
          username={me.username}
          others={others}
          currentId={openId}
          error={roomsError}
          onJoin={join}
          onCreated={(room) => {
            dispatchRooms({ type: 'upsert', room: { last_seq: 0, last_read_seq: 0, unread_count: 0, ...room, is_member: true } });
            markJoined(room.id, true);
            navigate(`/rooms/${room.id}`);
          }}
          onRefresh={refreshRooms}
        />
        <div className="scrim" onClick={() => setDrawer(false)} aria-hidden="true" />
        <main className="main" id="main" tabIndex={-1}>
          {route.name === 'room' ? (
            <ChatView
              key={route.id}
              roomId={route.id}
              room={currentRoom}
              me={me}
              stream={stream}
              attention={attention}
              onMembership={(member) => {
                markJoined(route.id, member);
                if (member && !currentRoom) void refreshRooms();
              }}
              onJoin={() => (currentRoom ? join(currentRoom) : join({ id: route.id, name: '', is_private: false }))}
              onRead={onRead}
              expectRemoval={(why) => {
                if (why) ownRemoval.current.set(route.id, why);
                else ownRemoval.current.delete(route.id);
              }}
              onLeft={(msg) => {
                markJoined(route.id, false);
                void refreshRooms();
                if (msg) setFlash(msg);
                navigate('/');
              }}
              onRoomUpdated={(room) => dispatchRooms({ type: 'upsert', room })}
              onOpenDirect={openDirectWith}
              target={target && target.roomId === route.id ? target : null}
            />
          ) : route.name === 'profile' ? (
            <ProfileView me={me} onChange={props.setMe} onEnded={props.onEnded} />
          ) : route.name === 'admin' && me.is_admin ? (
            <AdminView meId={me.id} />
          ) : (
            <div className="welcome">
              <h1>
                Hi, <bdi>{me.display_name || me.username}</bdi>
              </h1>
              <p className="muted">Pick a room from the list, browse public rooms, or create a new one.</p>
            </div>
          )}
        </main>
      </div>
      {overlay === 'help' && <ShortcutHelp onClose={() => setOverlay(null)} />}
      {overlay === 'search' && (
        <SearchDialog
          state={search}
          dispatch={dispatchSearch}
          scope={searchScope}
          onScope={setSearchScope}
          room={currentRoom}
          rooms={rooms}
          onOpen={openHit}
          onClose={() => setOverlay(null)}
        />
      )}
      {overlay === 'switcher' && (
        <QuickSwitcher
          rooms={rooms}
          mine={mineIds}
          onClose={() => setOverlay(null)}
          onOpen={(room) => {
            setOverlay(null);
            navigate(`/rooms/${room.id}`);
          }}
        />
      )}
      {invite && (
        <InviteGate
          code={invite}
          onDone={() => {
            forgetInvite(sessionStore());
            setInvite(null);
          }}
          onJoined={(room) => {
            forgetInvite(sessionStore());
            setInvite(null);
            dispatchRooms({ type: 'upsert', room: { last_seq: 0, last_read_seq: 0, unread_count: 0, ...room, is_member: true } });
            markJoined(room.id, true);
            navigate(`/rooms/${room.id}`);
            void refreshRooms();
          }}
        />
      )}
    </div>
  );
}
