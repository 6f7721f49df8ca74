import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { api, ApiError, asArray, errorText, getToken, onUnauthorized, signOut } from '../api/client';
import type { Room, User } from '../api/types';
import { roomListReducer, titleWithUnread, totalUnread } from '../state/roomList';
import { useAttention } from './attention';
import { AuthScreen } from './AuthScreen';
import { Avatar } from './Avatar';
import { Icon } from './Icon';
import { ChatView } from './ChatView';
import { browserStorage, clearDrafts, loadLastRoom, saveLastRoom } from '../state/drafts';
import { isMine, loadJoined, removalNotice, saveJoined } from './membership';
import { ProfileView } from './ProfileView';
import { navigate, useRoute } from './router';
import { Sidebar } from './Sidebar';
import { useUserStream } from './useUserStream';

const TITLE = 'Chat';

export function App() {
  const [token, setTok] = useState<string | null>(() => getToken());
  const [me, setMe] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(
    () =>
      onUnauthorized(() => {
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
    return (
      <AuthScreen
        notice={notice}
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
  const [rooms, dispatchRooms] = useReducer(roomListReducer, []);
  const [roomsError, setRoomsError] = useState<string | null>(null);
  const [joined, setJoined] = useState<Set<number>>(() => loadJoined(me.id));
  const [drawer, setDrawer] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
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
      if (ev.type === 'room_removed' && ev.room_id === now.openId) {
        const name = now.rooms.find((r) => r.id === ev.room_id)?.name ?? 'the room';
        const own = ownRemoval.current.get(ev.room_id);
        setFlash(own ?? removalNotice(ev, name));
        navigate('/');
      }
      if (ev.type === 'room_removed') ownRemoval.current.delete(ev.room_id);
      dispatchRooms({ type: 'event', event: ev, me: me.id, reading: now.reading });
      // Rooms created, joined or lost while the stream was down were not
      // announced: after a reconnect the list is read again.
      if (ev.type === 'ready' && readies++ > 0) void refreshRooms();
    });
  }, [stream, me.id, refreshRooms]);

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
  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => setFlash(null), 6000);
    return () => clearTimeout(t);
  }, [flash]);

  const mine = useMemo(() => rooms.filter((r) => isMine(r, me.id, joined)), [rooms, me.id, joined]);
  const others = useMemo(() => rooms.filter((r) => !isMine(r, me.id, joined)), [rooms, me.id, joined]);
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
  const home = route.name === 'home';

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
      <header className="topbar">
        <button
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
        <div className="topbar-spacer" />
        <a className="me-chip" href="#/profile" aria-label="Profile" title="Profile">
          <Avatar name={me.display_name || me.username} id={me.id} url={me.avatar_url} size={28} />
          <bdi className="me-name">{me.display_name || me.username}</bdi>
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
          mine={mine}
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
        <main className="main" id="main">
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
            />
          ) : route.name === 'profile' ? (
            <ProfileView me={me} onChange={props.setMe} onEnded={props.onEnded} />
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
    </div>
  );
}
