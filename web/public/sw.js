// The web client's service worker: it shows Web Push notifications (a
// mention or a direct message while the user had no open socket) and opens
// the room (#/rooms/{id}, the client's hash route) when one is clicked. The payload is the server's wire.PushPayload:
// {type, room_id, room_name, message_id, seq, author, preview, direct, mention, sent_at}.
// It caches nothing and never sees a token.
'use strict';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let p = {};
  try {
    p = event.data ? event.data.json() : {};
  } catch {
    return;
  }
  if (p.type !== 'message' || typeof p.room_id !== 'number') return;
  const title = p.direct ? String(p.author) : `${p.author} in ${p.room_name}`;
  event.waitUntil(
    self.registration.showNotification(title, {
      body: String(p.preview || ''),
      // One notification per room: a newer message replaces it.
      tag: `room-${p.room_id}`,
      renotify: true,
      timestamp: Date.parse(p.sent_at) || Date.now(),
      data: { url: `/#/rooms/${p.room_id}`, room_id: p.room_id },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data && event.notification.data.url ? event.notification.data.url : '/', self.location.origin).href;
  event.waitUntil(
    (async () => {
      const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const c of open) {
        if (new URL(c.url).origin !== self.location.origin) continue;
        await c.focus();
        // The page routes itself (an open tab keeps its socket and state).
        c.postMessage({ type: 'open-room', room_id: event.notification.data.room_id });
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});
