import { describe, expect, it } from 'vitest';
import type { ScheduledMessage } from '../api/types';
import { deliveredId, dropDelivered, fromLocalInput, inOneHour, removeScheduled, sendAtProblem, toLocalInput, tomorrowAtNine, upsertScheduled } from './scheduled';

const s = (id: number, sendAt: string): ScheduledMessage => ({ id, room_id: 1, content: `s${id}`, send_at: sendAt, created_at: '2026-11-23T10:00:00Z' });

describe('the scheduled list', () => {
  const list = [s(1, '2026-11-23T12:00:00Z'), s(2, '2026-11-23T13:00:00Z')];

  it('keeps soonest first when one is added or moved', () => {
    expect(upsertScheduled(list, s(3, '2026-11-23T11:00:00Z')).map((x) => x.id)).toEqual([3, 1, 2]);
    expect(upsertScheduled(list, s(1, '2026-11-23T14:00:00Z')).map((x) => x.id)).toEqual([2, 1]);
    expect(removeScheduled(list, 2).map((x) => x.id)).toEqual([1]);
    expect(removeScheduled(list, 9)).toBe(list);
  });

  it('drops a pending message when its delivered copy (client_id scheduled-<id>, the user’s) arrives', () => {
    expect(dropDelivered(list, { user_id: 7, client_id: 'scheduled-2' }, 7).map((x) => x.id)).toEqual([1]);
    expect(dropDelivered(list, { user_id: 8, client_id: 'scheduled-2' }, 7)).toBe(list);
    expect(dropDelivered(list, { user_id: 7, client_id: 'abc' }, 7)).toBe(list);
    expect(dropDelivered(list, { user_id: 7 }, 7)).toBe(list);
    expect(deliveredId({ user_id: 7, client_id: 'scheduled-x' }, 7)).toBeNull();
  });
});

describe('times', () => {
  const now = new Date(2026, 10, 23, 22, 30, 15).getTime();

  it('offers in an hour and tomorrow at nine, local time', () => {
    expect(inOneHour(now).getTime() - now).toBe(3600_000);
    const t = tomorrowAtNine(now);
    expect([t.getDate(), t.getHours(), t.getMinutes()]).toEqual([24, 9, 0]);
  });

  it('reads and writes datetime-local values', () => {
    const d = new Date(2026, 0, 2, 3, 4, 5);
    expect(toLocalInput(d)).toBe('2026-01-02T03:04:05');
    expect(fromLocalInput('2026-01-02T03:04:05')?.getTime()).toBe(d.getTime());
    expect(fromLocalInput('2026-01-02T03:04')?.getTime()).toBe(new Date(2026, 0, 2, 3, 4).getTime());
    expect(fromLocalInput('')).toBeNull();
  });

  it('refuses a time that is not in the future', () => {
    expect(sendAtProblem(null, now)).toBe('Choose a date and time.');
    expect(sendAtProblem(new Date(now + 1000), now)).toBe('Choose a time in the future.');
    expect(sendAtProblem(new Date(now + 60_000), now)).toBeNull();
  });
});
