// Hash routing (#/rooms/12): client routes can never clash with API paths.
import { useEffect, useState } from 'react';

export type Route = { name: 'home' } | { name: 'room'; id: number } | { name: 'profile' } | { name: 'admin' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const m = /^\/rooms\/(\d+)\/?$/.exec(path);
  if (m) return { name: 'room', id: Number(m[1]) };
  if (/^\/profile\/?$/.test(path)) return { name: 'profile' };
  if (/^\/admin\/?$/.test(path)) return { name: 'admin' };
  return { name: 'home' };
}

export function navigate(path: string): void {
  if (location.hash !== `#${path}`) location.hash = path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
