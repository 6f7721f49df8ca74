// Web Push in the browser: the service worker (/sw.js) shows the server's
// pushes; subscribing asks for permission, so it runs only from a click in
// the profile's settings, never on page load.
import { api } from '../api/client';
import { navigate } from '../ui/router';

export interface PushSubscriptionInfo {
  id: number;
  endpoint: string;
  created_at: string;
}

export type PushState = 'unsupported' | 'denied' | 'off' | 'on';

export function pushSupported(): boolean {
  return typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** The worker's registration, registering it when needed. */
async function registration(): Promise<ServiceWorkerRegistration> {
  const existing = await navigator.serviceWorker.getRegistration('/');
  return existing ?? navigator.serviceWorker.register('/sw.js', { scope: '/' });
}

/** Whether this browser receives pushes for the signed-in user. */
export async function pushState(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const reg = await navigator.serviceWorker.getRegistration('/');
  const sub = await reg?.pushManager.getSubscription();
  if (!sub) return 'off';
  const mine = await api.get<PushSubscriptionInfo[]>('/push/subscriptions');
  return mine.some((s) => s.endpoint === sub.endpoint) ? 'on' : 'off';
}

function keyBytes(b64url: string): Uint8Array {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Asks for permission (call it from a click), subscribes and tells the server. */
export async function enablePush(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return permission === 'denied' ? 'denied' : 'off';
  const { public_key } = await api.get<{ public_key: string }>('/push/key');
  const reg = await registration();
  let sub = await reg.pushManager.getSubscription();
  if (sub) {
    // Subscribed with another server key (the server's pair changed): start over.
    const key = sub.options.applicationServerKey;
    const same = key && new Uint8Array(key).join() === keyBytes(public_key).join();
    if (!same) {
      await sub.unsubscribe();
      sub = null;
    }
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) as BufferSource });
  await api.post('/push/subscriptions', sub.toJSON());
  return 'on';
}

/** Stops pushes to this browser. */
export async function disablePush(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const reg = await navigator.serviceWorker.getRegistration('/');
  const sub = await reg?.pushManager.getSubscription();
  if (sub) {
    const mine = await api.get<PushSubscriptionInfo[]>('/push/subscriptions');
    for (const s of mine.filter((s) => s.endpoint === sub.endpoint)) {
      await api.del(`/push/subscriptions/${s.id}`);
    }
    await sub.unsubscribe();
  }
  return 'off';
}

/** Opens the room of a clicked notification in this tab. */
export function listenForOpenRoom(): () => void {
  if (!pushSupported()) return () => {};
  const on = (e: MessageEvent) => {
    if (e.data?.type === 'open-room' && typeof e.data.room_id === 'number') navigate(`/rooms/${e.data.room_id}`);
  };
  navigator.serviceWorker.addEventListener('message', on);
  return () => navigator.serviceWorker.removeEventListener('message', on);
}
