// Wires one open room's reducer to the REST API and the user stream.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api, ApiError, asArray, errorText, upload, uploadErrorText } from '../api/client';
import type { FileItem, Member, Message, User } from '../api/types';
import type { Status, UserStream } from '../net/stream';
import type { Extras, Pending } from '../state/pending';
import { initialRoomState, liveEnd, maxSeq, oldestId, roomReducer } from '../state/roomReducer';

export const PAGE = 50;

export type Access = 'loading' | 'ok' | 'not_member' | 'not_found' | 'error';

export interface UploadState {
  id: number;
  name: string;
  progress: number;
  error: string | null;
  abort: () => void;
}

/** A message to open the room at (a search hit); n tells one request from the next. */
export interface RoomTarget {
  messageId: number;
  n: number;
}

let uploadSeq = 0;

/** The highest seq of a page (0: none). */
const topSeq = (page: readonly Message[]) => page.reduce((m, x) => Math.max(m, x.seq || 0), 0);

export function useRoom(
  roomId: number,
  me: User,
  stream: UserStream,
  hooks: { onRemoved: (msg: string) => void; onMembership: (member: boolean) => void },
  target: RoomTarget | null = null,
) {
  // Where the next load opens the room: at a message, or (null) at the newest.
  const around = useRef<number | null>(target?.messageId ?? null);
  const [state, dispatch] = useReducer(roomReducer, null, () => initialRoomState(roomId, around.current ?? undefined));
  const [pending, setPending] = useState<readonly Pending[]>(() => stream.pending(roomId));
  const [status, setStatus] = useState<Status>(stream.status);
  const [attempt, setAttempt] = useState(0);
  const [access, setAccess] = useState<Access>('loading');
  const [accessError, setAccessError] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [loadingNewer, setLoadingNewer] = useState(false);
  const [uploads, setUploads] = useState<UploadState[]>([]);
  // Uploaded files that go with the next message (file_ids).
  const [attached, setAttached] = useState<FileItem[]>([]);
  const stateRef = useRef(state);
  stateRef.current = state;
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;
  // Bumped to load the room again (after joining it, or after a failed load).
  const [reloadKey, setReloadKey] = useState(0);
  const reload = useCallback(
    (at: number | null = null) => {
      around.current = at;
      setAccess('loading');
      setAccessError(null);
      dispatch({ type: 'reset', roomId, around: at ?? undefined });
      setReloadKey((k) => k + 1);
    },
    [roomId],
  );

  // After a failed load: the same again, at the same message if it was opened at one.
  const retry = useCallback(() => reload(around.current), [reload]);

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

  useEffect(
    () =>
      stream.onPending((id, q) => {
        if (id === roomId) setPending(q);
      }),
    [stream, roomId],
  );

  useEffect(() => {
    let cancelled = false;
    let loaded = false;
    let membersLoaded = false;
    let everOpened = stream.status === 'open';
    setPending(stream.pending(roomId));
    setStatus(stream.status);

    // Catching up after a reconnect also tells whether the room is still
    // ours: a removal missed while offline answers 403 or 404.
    const catchUp = async () => {
      refreshFiles().catch(() => {});
      try {
        await refreshMembers();
      } catch (e) {
        if (e instanceof ApiError && (e.status === 403 || e.status === 404) && !cancelled) {
          hooksRef.current.onRemoved('You no longer have access to that room.');
        }
      }
    };

    // Someone new in the room (joined, or wrote before the list knew them):
    // the member list is out of date. Asked once per user, so messages of
    // someone who has left since do not ask again and again.
    const asked = new Set<number>();
    const newcomer = (userId: number) => {
      if (!membersLoaded || asked.has(userId) || stateRef.current.members.some((m) => m.id === userId)) return;
      asked.add(userId);
      refreshMembers().catch(() => {});
    };

    // Seqs are tracked from now on, so live events and the history page join without a gap.
    stream.hold(roomId);
    const unlisten = stream.listen((ev) => {
      dispatch({ type: 'event', event: ev, now: Date.now() });
      if (ev.type === 'user_joined' || ev.type === 'message' || ev.type === 'member_joined') newcomer(ev.user_id);
      // Someone who left and comes back is new again.
      if (ev.type === 'member_left') asked.delete(ev.user_id);
    }, roomId);
    const unwatch = stream.onStatus((s, d) => {
      if (cancelled) return;
      setStatus(s);
      setAttempt(d.attempt);
      if (s !== 'open') return;
      // Messages and their changes are replayed on resume: catch up on what
      // else happened while we were away.
      if (everOpened && loaded) void catchUp();
      everOpened = true;
    });

    // The first page: the newest, or the one around the message asked for.
    // Opened at a message, the client still follows the room from its live
    // end (the newest seq, read alongside): live messages wait in the room
    // state until the list reaches them, and a resume starts from there.
    const first = async (): Promise<number> => {
      const at = around.current;
      if (at !== null) {
        try {
          const [page, newest] = await Promise.all([
            api.get(`/rooms/${roomId}/messages?around=${at}&limit=${PAGE}`).then((v) => asArray<Message>(v)),
            api.get(`/rooms/${roomId}/messages?limit=1`).then((v) => asArray<Message>(v)),
          ]);
          if (!cancelled) dispatch({ type: 'around', messages: page, limit: PAGE, target: at });
          return Math.max(topSeq(page), topSeq(newest));
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 'message_not_found')) throw e;
          // Deleted since it was found: the room opens at its newest, and says why.
          around.current = null;
          if (!cancelled) dispatch({ type: 'reset', roomId });
          const top = await first();
          if (!cancelled) dispatch({ type: 'error', text: 'That message is no longer in this room.' });
          return top;
        }
      }
      const page = asArray<Message>(await api.get(`/rooms/${roomId}/messages?limit=${PAGE}`));
      if (!cancelled) dispatch({ type: 'history', messages: page, limit: PAGE });
      return topSeq(page);
    };

    (async () => {
      try {
        const top = await first();
        if (cancelled) return;
        setAccess('ok');
        hooksRef.current.onMembership(true);
        stream.loaded(roomId, top);
        loaded = true;
        refreshMembers().then(
          () => (membersLoaded = true),
          () => {},
        );
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

    const tick = setInterval(() => dispatch({ type: 'tick', now: Date.now() }), 1000);
    return () => {
      cancelled = true;
      clearInterval(tick);
      unlisten();
      unwatch();
      stream.release(roomId);
    };
  }, [roomId, stream, refreshMembers, refreshFiles, reloadKey]);

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

  // Opened at an older message: the page after the newest one shown, until one reaches the end.
  const loadNewer = useCallback(async () => {
    const s = stateRef.current;
    if (loadingNewer || !s.detached || !s.historyLoaded) return false;
    setLoadingNewer(true);
    try {
      const page = asArray<Message>(await api.get(`/rooms/${roomId}/messages?after_seq=${maxSeq(s.messages)}&limit=${PAGE}`));
      dispatch({ type: 'newer', messages: page, limit: PAGE });
      return true;
    } catch {
      return false;
    } finally {
      setLoadingNewer(false);
    }
  }, [roomId, loadingNewer]);

  // Leaves an older part of the history for the newest page (and what came live since).
  const [jumping, setJumping] = useState(false);
  const jumpToNewest = useCallback(async () => {
    if (!stateRef.current.detached) return;
    setJumping(true);
    try {
      const page = asArray<Message>(await api.get(`/rooms/${roomId}/messages?limit=${PAGE}`));
      dispatch({ type: 'newest', messages: page, limit: PAGE });
    } catch (e) {
      dispatch({ type: 'error', text: errorText(e) });
    } finally {
      setJumping(false);
    }
  }, [roomId]);

  // Shows a message: at once when the list holds it, else the room opens anew around it.
  const openAt = useCallback(
    (messageId: number) => {
      if (stateRef.current.messages.some((m) => m.id === messageId)) dispatch({ type: 'target', id: messageId });
      else reload(messageId);
    },
    [reload],
  );
  // A new request to show a message (the first one was the initial load's).
  const shownTarget = useRef(target?.n);
  useEffect(() => {
    if (!target || target.n === shownTarget.current) return;
    shownTarget.current = target.n;
    openAt(target.messageId);
  }, [target, openAt]);

  const send = useCallback((content: string, extras?: Extras) => stream.send(roomId, content, extras), [stream, roomId]);
  const typing = useCallback(() => stream.typing(roomId), [stream, roomId]);
  const discard = useCallback((clientId: string) => stream.discard(roomId, clientId), [stream, roomId]);

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
            dispatch({ type: 'file_added', file: { ...f, user_id: f.user_id ?? me.id, room_id: roomId, anchor_seq: liveEnd(stateRef.current) } });
            setAttached((as) => (as.some((a) => a.id === f.id) ? as : [...as, f]));
          }
          setUploads((us) => us.filter((u) => u.id !== id));
        },
        (e) => {
          const error = uploadErrorText(e);
          setUploads((us) => (error === null ? us.filter((u) => u.id !== id) : us.map((u) => (u.id === id ? { ...u, error } : u))));
        },
      );
    },
    [roomId, me.id],
  );

  const dismissUpload = useCallback((id: number) => setUploads((us) => us.filter((u) => u.id !== id)), []);
  const detach = useCallback((id: number) => setAttached((as) => as.filter((a) => a.id !== id)), []);
  const clearAttached = useCallback(() => setAttached([]), []);

  // A file link of a message stopped working (signed links expire): the
  // message is read again, at most every 30 s each.
  const refreshedAt = useRef(new Map<number, number>());
  const refreshMessage = useCallback(
    (messageId: number) => {
      const now = Date.now();
      if (now - (refreshedAt.current.get(messageId) ?? -Infinity) < 30_000) return;
      refreshedAt.current.set(messageId, now);
      api.get<Message>(`/rooms/${roomId}/messages/${messageId}`).then(
        (m) => m && typeof m.id === 'number' && dispatch({ type: 'message_state', message: m }),
        () => {},
      );
    },
    [roomId],
  );

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
    loadingNewer,
    loadNewer,
    jumping,
    jumpToNewest,
    send,
    typing,
    discard,
    uploads,
    uploadFile,
    dismissUpload,
    attached,
    detach,
    clearAttached,
    refreshMessage,
    refreshMembers,
    refreshLinks,
    reload,
    retry,
  };
}
