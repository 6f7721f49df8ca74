// The app's one user stream, for as long as the user is signed in.
import { useEffect, useState } from 'react';
import { api, asArray, signalUnauthorized, socketTicket } from '../api/client';
import type { Message } from '../api/types';
import { UserStream, streamURL } from '../net/stream';
import { loadQueues, saveQueue, type Pending } from '../state/pending';

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
        fetchAfter: async (roomId, after) => asArray<Message>(await api.get(`/rooms/${roomId}/messages?after_seq=${after}&limit=100`)),
        onFatal: signalUnauthorized,
      }),
  );
  useEffect(() => {
    stream.start();
    const online = () => stream.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      stream.stop();
    };
  }, [stream]);
  return stream;
}
