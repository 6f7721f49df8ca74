import { describe, expect, it } from 'vitest';
import { parseRoute } from './router';

describe('parseRoute', () => {
  it.each([
    ['', { name: 'home' }],
    ['#/', { name: 'home' }],
    ['#/rooms/12', { name: 'room', id: 12 }],
    ['#/rooms/12/', { name: 'room', id: 12 }],
    ['#/rooms/abc', { name: 'home' }],
    ['#/profile', { name: 'profile' }],
    ['#/admin', { name: 'admin' }],
  ])('%s', (hash, want) => expect(parseRoute(hash)).toEqual(want));
});
