// Messages scheduled to be sent later (GET /scheduled): the list the user
// sees, soonest first, and the times the "Send later" menu offers. A
// scheduled message is delivered as a normal message with client_id
// "scheduled-<id>": when that message arrives, it is no longer pending.

import type { Message, ScheduledMessage } from '../api/types';

/** The client_id prefix of a delivered scheduled message (the server's message.ScheduledClient). */
export const SCHEDULED_CLIENT = 'scheduled-';

/** Sooner than this is not "later" (the server's message.ScheduleMin). */
export const SCHEDULE_MIN_MS = 5000;

const bySendAt = (a: ScheduledMessage, b: ScheduledMessage) => Date.parse(a.send_at) - Date.parse(b.send_at) || a.id - b.id;

/** The list with one message added or replaced, soonest first. */
export function upsertScheduled(list: readonly ScheduledMessage[], s: ScheduledMessage): ScheduledMessage[] {
  return [...list.filter((x) => x.id !== s.id), s].sort(bySendAt);
}

/** The list without one message; the list itself when it is not there. */
export function removeScheduled(list: readonly ScheduledMessage[], id: number): ScheduledMessage[] {
  return list.some((x) => x.id === id) ? list.filter((x) => x.id !== id) : (list as ScheduledMessage[]);
}

/** The id of the scheduled message a delivered message is (the user's own, client_id "scheduled-<id>"); null for any other. */
export function deliveredId(m: Pick<Message, 'client_id' | 'user_id'>, me: number): number | null {
  if (m.user_id !== me || !m.client_id || !m.client_id.startsWith(SCHEDULED_CLIENT)) return null;
  const id = Number(m.client_id.slice(SCHEDULED_CLIENT.length));
  return Number.isInteger(id) && id > 0 ? id : null;
}

/** The list once a message arrived: without the scheduled message it delivers. */
export function dropDelivered(list: readonly ScheduledMessage[], m: Pick<Message, 'client_id' | 'user_id'>, me: number): ScheduledMessage[] {
  const id = deliveredId(m, me);
  return id === null ? (list as ScheduledMessage[]) : removeScheduled(list, id);
}

/** "In 1 hour". */
export function inOneHour(now: number): Date {
  return new Date(now + 3600_000);
}

/** "Tomorrow 9:00", local time. */
export function tomorrowAtNine(now: number): Date {
  const d = new Date(now);
  d.setDate(d.getDate() + 1);
  d.setHours(9, 0, 0, 0);
  return d;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A local time as a datetime-local input holds it (to the second). */
export function toLocalInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A datetime-local input's value as a time; null when empty or malformed. */
export function fromLocalInput(v: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(v);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Why a time cannot be chosen (too soon); null when it can. */
export function sendAtProblem(d: Date | null, now: number): string | null {
  if (!d) return 'Choose a date and time.';
  if (d.getTime() < now + SCHEDULE_MIN_MS) return 'Choose a time in the future.';
  return null;
}
