// The app's one user stream, for as long as the user is signed in.
import { useEffect, useState } from 'react';
import { api, asArray, signalUnauthorized, socketTicket, SUSPENDED_TEXT } from '../api/client';
import type { Message } from '../api/types';
import { CLOSE_SUSPENDED, GAP_PAGE, UserStream, streamURL } from '../net/stream';
import { loadQueues, saveQueue, type Pending } from '../state/pending';

/** How long the heartbeat's probe of /healthz may take before the server counts as unreachable. */
const PROBE_TIMEOUT_MS = 5000;

/** Whether the server answers at all: a cheap request that needs no session. */
async function probe(): Promise<boolean> {
  try {
    const res = await fetch('/healthz', { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return res.ok;
  } catch {
    return false;
  }
}

function storedQueues(userId: number): Map<number, Pending[]> {
  try {
    return loadQueues(localStorage, userId);
  } catch {
    return new Map(); // storage unavailable
  }
}

export function useUserStream(userId: number): UserStream {
  const [stream] = useState(
    () =>
      new UserStream({
        url: async () => streamURL(location, await socketTicket()),
        userId,
        pending: storedQueues(userId),
        savePending: (roomId, q) => {
          try {
            saveQueue(localStorage, userId, roomId, q);
          } catch {
            /* storage full: the queue still lives in memory */
          }
        },
        fetchAfter: async (roomId, after) => asArray<Message>(await api.get(`/rooms/${roomId}/messages?after_seq=${after}&limit=${GAP_PAGE}`)),
        onFatal: (code) => signalUnauthorized(code === CLOSE_SUSPENDED ? SUSPENDED_TEXT : undefined),
        online: navigator.onLine,
        heartbeat: { probe },
      }),
  );
  useEffect(() => {
    stream.start();
    const online = () => stream.setOnline(true);
    const offline = () => stream.setOnline(false);
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    return () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      stream.stop();
    };
  }, [stream]);
  return stream;
}
