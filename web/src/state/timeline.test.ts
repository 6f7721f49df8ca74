import { describe, expect, it } from 'vitest';
import { buildEntries, buildTimeline, type Group } from './timeline';
import type { FileItem } from '../api/types';
import { msg } from '../test/fakes';

const me = { id: 7, username: 'me' };
const at = (iso: string) => ({ created_at: iso });
const file = (id: number, extra: Partial<FileItem>): FileItem => ({ id, filename: 'f', content_type: 'image/png', size: 1, file_url: '/f', user_id: 2, ...extra });

describe('timeline', () => {
  it('groups consecutive messages by sender and splits on day and long gaps', () => {
    const items = buildTimeline({
      messages: [
        msg(1, 1, { ...at('2026-11-22T23:50:00Z') }),
        msg(2, 2, { ...at('2026-11-23T00:01:00Z') }),
        msg(3, 3, { ...at('2026-11-23T00:02:00Z') }),
        msg(4, 4, { user_id: 3, username: 'cy', ...at('2026-11-23T00:03:00Z') }),
        msg(5, 5, { user_id: 3, username: 'cy', ...at('2026-11-23T00:30:00Z') }),
      ],
      files: [],
      pending: [],
      hasMore: false,
      me,
      now: 0,
    });
    expect(items.map((i) => (i.kind === 'day' ? i.day : i.kind === 'group' ? `${i.username}:${i.entries.length}` : i.kind))).toEqual([
      '2026-11-22',
      'bob:1',
      '2026-11-23',
      'bob:2',
      'cy:1',
      'cy:1',
    ]);
  });

  it('places live files after their anchor and listed files by time', () => {
    const entries = buildEntries({
      messages: [msg(1, 1, at('2026-11-23T10:00:00Z')), msg(2, 2, at('2026-11-23T10:05:00Z')), msg(3, 3, at('2026-11-23T10:10:00Z'))],
      files: [file(9, { anchor_seq: 1 }), file(8, { created_at: '2026-11-23T10:06:00Z' })],
      pending: [],
      hasMore: false,
      me,
      now: 0,
    });
    expect(entries.map((e) => e.key)).toEqual(['m1', 'f9', 'm2', 'f8', 'm3']);
  });

  it('holds back files older than the loaded history while more history exists', () => {
    const inp = {
      messages: [msg(5, 5, at('2026-11-23T10:00:00Z'))],
      files: [file(1, { created_at: '2026-11-20T10:00:00Z' })],
      pending: [],
      me,
      now: 0,
    };
    expect(buildEntries({ ...inp, hasMore: true }).map((e) => e.key)).toEqual(['m5']);
    expect(buildEntries({ ...inp, hasMore: false }).map((e) => e.key)).toEqual(['f1', 'm5']);
  });

  it('shows pending sends last, as mine, and hides one whose server copy arrived', () => {
    const items = buildTimeline({
      messages: [msg(1, 1, { user_id: 7, username: 'me', client_id: 'done', ...at('2026-11-23T10:00:00Z') })],
      files: [],
      pending: [
        { client_id: 'done', content: 'x', created: Date.parse('2026-11-23T10:00:01Z'), sent: true },
        { client_id: 'wait', content: 'y', created: Date.parse('2026-11-23T10:00:02Z'), sent: false },
      ],
      hasMore: false,
      me,
      now: 0,
    });
    const groups = items.filter((i): i is Group => i.kind === 'group');
    expect(groups).toHaveLength(1);
    expect(groups[0].entries.map((e) => e.key)).toEqual(['m1', 'pwait']);
  });

  it('puts the New messages divider above its message, splitting a run by one sender', () => {
    const items = buildTimeline({
      messages: [msg(1, 1, at('2026-11-23T10:00:00Z')), msg(2, 2, at('2026-11-23T10:01:00Z')), msg(3, 3, at('2026-11-23T10:02:00Z'))],
      files: [],
      pending: [],
      hasMore: false,
      me,
      now: 0,
      dividerSeq: 2,
    });
    expect(items.map((i) => (i.kind === 'group' ? i.entries.map((e) => e.key).join(',') : i.kind))).toEqual(['day', 'm1', 'new', 'm2,m3']);
  });

  it('puts the divider after the day separator when the first unread message starts a day', () => {
    const items = buildTimeline({
      messages: [msg(1, 1, at('2026-11-22T23:59:00Z')), msg(2, 2, at('2026-11-23T00:01:00Z'))],
      files: [],
      pending: [],
      hasMore: false,
      me,
      now: 0,
      dividerSeq: 2,
    });
    expect(items.map((i) => i.kind)).toEqual(['day', 'group', 'day', 'new', 'group']);
  });
});
