// Wires one room's reducer to the REST API and its socket.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api, ApiError, errorText, signalUnauthorized, socketTicket, upload } from '../api/client';
import type { FileItem, Member, Message, User } from '../api/types';
import { RoomSocket, roomSocketURL, type Status } from '../net/socket';
import { restore, type Pending } from '../state/pending';
import { initialRoomState, maxSeq, oldestId, roomReducer } from '../state/roomReducer';
import type { RoomUpdate } from './rooms';

export const PAGE = 50;

export type Access = 'loading' | 'ok' | 'not_member' | 'not_found' | 'error';

export interface UploadState {
  id: number;
  name: string;
  progress: number;
  error: string | null;
  abort: () => void;
}

function asArray<T>(v: unknown): T[] {
  if (Array.isArray(v)) return v as T[];
  if (v && typeof v === 'object') {
    for (const k of ['items', 'messages', 'files', 'members', 'data']) {
      const x = (v as Record<string, unknown>)[k];
      if (Array.isArray(x)) return x as T[];
    }
  }
  return [];
}

let uploadSeq = 0;

export function useRoom(
  roomId: number,
  me: User,
  hooks: { onRemoved: (msg: string) => void; onMembership: (member: boolean) => void; onRoomUpdated?: (ev: RoomUpdate) => void },
) {
  const [state, dispatch] = useReducer(roomReducer, roomId, initialRoomState);
  const [pending, setPending] = useState<readonly Pending[]>([]);
  const [status, setStatus] = useState<Status>('idle');
  const [access, setAccess] = useState<Access>('loading');
  const [accessError, setAccessError] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [uploads, setUploads] = useState<UploadState[]>([]);
  const socket = useRef<RoomSocket | null>(null);
  const stateRef = useRef(state);
  stateRef.current = state;
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;
  const [attempt, setAttempt] = useState(0);
  // Bumped to load the room again (after joining it, or after a failed load).
  const [reloadKey, setReloadKey] = useState(0);
  const reload = useCallback(() => {
    setAccess('loading');
    setAccessError(null);
    dispatch({ type: 'reset', roomId });
    setReloadKey((k) => k + 1);
  }, [roomId]);

  const refreshMembers = useCallback(async () => {
    const list = asArray<Member>(await api.get(`/rooms/${roomId}/members`));
    dispatch({ type: 'members', members: list });
  }, [roomId]);

  const refreshFiles = useCallback(async () => {
    const list = asArray<FileItem>(await api.get(`/rooms/${roomId}/files?limit=50`));
    dispatch({ type: 'files', files: list });
  }, [roomId]);

  // Signed file links expire; when one fails, fetch fresh ones (at most every 30 s).
  const lastLinkRefresh = useRef(0);
  const refreshLinks = useCallback(() => {
    const now = Date.now();
    if (now - lastLinkRefresh.current < 30_000) return;
    lastLinkRefresh.current = now;
    refreshFiles().catch(() => {});
  }, [refreshFiles]);

  useEffect(() => {
    let cancelled = false;
    const storeKey = `chat.pending.${me.id}.${roomId}`;
    let stored: Pending[] = [];
    try {
      stored = restore(localStorage.getItem(storeKey));
    } catch {
      /* storage unavailable */
    }
    let everOpened = false;
    let probing = false;

    // When the handshake keeps failing the browser only sees 1006; ask the
    // REST API why (a 401 signs out, 403/404 means we lost the room).
    const probe = async () => {
      if (probing) return;
      probing = true;
      try {
        await refreshMembers();
      } catch (e) {
        if (e instanceof ApiError && (e.status === 403 || e.status === 404) && !cancelled) {
          sock.stop();
          hooksRef.current.onRemoved('You no longer have access to that room.');
        }
      } finally {
        probing = false;
      }
    };

    const sock = new RoomSocket({
      url: async (after) => roomSocketURL(location, roomId, await socketTicket(), after),
      userId: me.id,
      pending: stored,
      fetchAfter: async (after) =>
        asArray<Message>(await api.get(`/rooms/${roomId}/messages?after_seq=${after}&limit=100`)),
      onEvent: (ev) => {
        if (ev.type === 'room_updated') {
          hooksRef.current.onRoomUpdated?.(ev);
          return;
        }
        dispatch({ type: 'event', event: ev, now: Date.now() });
        if (ev.type === 'user_joined' && !stateRef.current.members.some((m) => m.id === ev.user_id)) {
          refreshMembers().catch(() => {});
        }
      },
      onStatus: (s, d) => {
        if (cancelled) return;
        setStatus(s);
        setAttempt(d.attempt);
        if (s === 'open') {
          // Only messages are replayed on resume: catch up on what else
          // happened while we were away.
          if (everOpened) {
            refreshFiles().catch(() => {});
            refreshMembers().catch(() => {});
          }
          everOpened = true;
        }
        if (s === 'reconnecting' && d.attempt >= 2) void probe();
      },
      onPending: (q) => {
        if (cancelled) return;
        setPending(q);
        try {
          if (q.length) localStorage.setItem(storeKey, JSON.stringify(q));
          else localStorage.removeItem(storeKey);
        } catch {
          /* storage full: the queue still lives in memory */
        }
      },
      onFatal: (reason) => {
        if (reason === 'unauthorized') signalUnauthorized();
        else hooksRef.current.onRemoved('You were removed from that room.');
      },
    });
    socket.current = sock;
    setPending(sock.pending);

    (async () => {
      try {
        const page = asArray<Message>(await api.get(`/rooms/${roomId}/messages?limit=${PAGE}`));
        if (cancelled) return;
        dispatch({ type: 'history', messages: page, limit: PAGE });
        setAccess('ok');
        hooksRef.current.onMembership(true);
        sock.start(page.reduce((m, x) => Math.max(m, x.seq || 0), 0));
        refreshMembers().catch(() => {});
        refreshFiles().catch(() => {});
      } catch (e) {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 403) {
          setAccess('not_member');
          hooksRef.current.onMembership(false);
        } else if (e instanceof ApiError && e.status === 404) {
          setAccess('not_found');
          hooksRef.current.onMembership(false);
        } else {
          setAccess('error');
          setAccessError(errorText(e));
        }
      }
    })();

    const online = () => sock.reconnectNow();
    window.addEventListener('online', online);
    const tick = setInterval(() => dispatch({ type: 'tick', now: Date.now() }), 1000);
    return () => {
      cancelled = true;
      window.removeEventListener('online', online);
      clearInterval(tick);
      sock.stop();
      socket.current = null;
    };
  }, [roomId, me.id, refreshMembers, refreshFiles, reloadKey]);

  const loadOlder = useCallback(async () => {
    const s = stateRef.current;
    if (loadingOlder || !s.hasMore || !s.historyLoaded) return false;
    const before = oldestId(s.messages);
    if (before === null) return false;
    setLoadingOlder(true);
    try {
      const page = asArray<Message>(await api.get(`/rooms/${roomId}/messages?before=${before}&limit=${PAGE}`));
      dispatch({ type: 'history', messages: page, limit: PAGE });
      return true;
    } catch {
      return false;
    } finally {
      setLoadingOlder(false);
    }
  }, [roomId, loadingOlder]);

  const send = useCallback((content: string) => socket.current?.send(content), []);
  const typing = useCallback(() => socket.current?.typing() ?? false, []);
  const discard = useCallback((clientId: string) => socket.current?.discard(clientId) ?? false, []);

  const uploadFile = useCallback(
    (file: File) => {
      const id = ++uploadSeq;
      const job = upload<FileItem>(`/rooms/${roomId}/files`, file, file.name, (p) =>
        setUploads((us) => us.map((u) => (u.id === id ? { ...u, progress: p } : u))),
      );
      setUploads((us) => [...us, { id, name: file.name, progress: 0, error: null, abort: job.abort }]);
      job.promise.then(
        (f) => {
          if (f && typeof f.id === 'number') {
            dispatch({ type: 'file_added', file: { ...f, user_id: f.user_id ?? me.id, room_id: roomId, anchor_seq: maxSeq(stateRef.current.messages) } });
          }
          setUploads((us) => us.filter((u) => u.id !== id));
        },
        (e) => {
          const error = e instanceof ApiError && e.status === 429 ? errorText(e) : `Upload failed: ${errorText(e)}`;
          setUploads((us) => us.map((u) => (u.id === id ? { ...u, error } : u)));
        },
      );
    },
    [roomId, me.id],
  );

  const dismissUpload = useCallback((id: number) => setUploads((us) => us.filter((u) => u.id !== id)), []);

  return {
    state,
    dispatch,
    pending,
    status,
    attempt,
    access,
    accessError,
    loadingOlder,
    loadOlder,
    send,
    typing,
    discard,
    uploads,
    uploadFile,
    dismissUpload,
    refreshMembers,
    refreshLinks,
    reload,
  };
}
