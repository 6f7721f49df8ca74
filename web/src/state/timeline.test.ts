import { describe, expect, it } from 'vitest';
import { arrivals, buildEntries, buildTimeline, lastSeq, prependedCount, RowBuilder, stampOf, type Row, type TimelineInput } from './timeline';
import type { FileItem } from '../api/types';
import { msg } from '../test/fakes';

const me = { id: 7, username: 'me' };
const at = (iso: string) => ({ created_at: iso });
const file = (id: number, extra: Partial<FileItem>): FileItem => ({ id, filename: 'f', content_type: 'image/png', size: 1, file_url: '/f', user_id: 2, ...extra });
const input = (extra: Partial<TimelineInput>): TimelineInput => ({ messages: [], files: [], pending: [], hasMore: false, me, now: 0, ...extra });

/** Rows as runs: a day, the divider, or "sender:entries" for a head and the rows after it. */
function runs(rows: Row[]): string[] {
  const out: string[] = [];
  let n = 0;
  let who = '';
  const close = () => {
    if (n) out.push(`${who}:${n}`);
    n = 0;
  };
  for (const r of rows) {
    if (r.kind !== 'entry') {
      close();
      out.push(r.kind === 'day' ? r.day : 'new');
    } else if (r.head) {
      close();
      who = r.username;
      n = 1;
    } else n++;
  }
  close();
  return out;
}

const entryKeys = (rows: Row[]) => rows.map((r) => (r.kind === 'entry' ? r.key : r.kind));

describe('timeline', () => {
  it('runs consecutive messages by sender and splits on day and long gaps', () => {
    const rows = buildTimeline(
      input({
        messages: [
          msg(1, 1, { ...at('2026-11-22T23:50:00Z') }),
          msg(2, 2, { ...at('2026-11-23T00:01:00Z') }),
          msg(3, 3, { ...at('2026-11-23T00:02:00Z') }),
          msg(4, 4, { user_id: 3, username: 'cy', ...at('2026-11-23T00:03:00Z') }),
          msg(5, 5, { user_id: 3, username: 'cy', ...at('2026-11-23T00:30:00Z') }),
        ],
      }),
    );
    expect(runs(rows)).toEqual(['2026-11-22', 'bob:1', '2026-11-23', 'bob:2', 'cy:1', 'cy:1']);
  });

  it('places live files after their anchor and listed files by time', () => {
    const entries = buildEntries(
      input({
        messages: [msg(1, 1, at('2026-11-23T10:00:00Z')), msg(2, 2, at('2026-11-23T10:05:00Z')), msg(3, 3, at('2026-11-23T10:10:00Z'))],
        files: [file(9, { anchor_seq: 1 }), file(8, { created_at: '2026-11-23T10:06:00Z' })],
      }),
    );
    expect(entries.map((e) => e.key)).toEqual(['m1', 'f9', 'm2', 'f8', 'm3']);
  });

  it('gives a file without a time the time of the entry before it', () => {
    const entries = buildEntries(input({ messages: [msg(1, 1, at('2026-11-22T23:50:00Z'))], files: [file(9, { anchor_seq: 1 })] }));
    expect(entries.map((e) => e.day)).toEqual(['2026-11-22', '2026-11-22']);
  });

  it('holds back files older than the loaded history while more history exists', () => {
    const inp = input({ messages: [msg(5, 5, at('2026-11-23T10:00:00Z'))], files: [file(1, { created_at: '2026-11-20T10:00:00Z' })] });
    expect(buildEntries({ ...inp, hasMore: true }).map((e) => e.key)).toEqual(['m5']);
    expect(buildEntries({ ...inp, hasMore: false }).map((e) => e.key)).toEqual(['f1', 'm5']);
  });

  it('holds back what belongs after the last message while newer messages are not loaded', () => {
    const inp = input({
      messages: [msg(5, 5, at('2026-11-23T10:00:00Z')), msg(6, 6, at('2026-11-23T10:01:00Z'))],
      files: [file(1, { anchor_seq: 5 }), file(2, { anchor_seq: 40 }), file(3, { created_at: '2026-11-24T10:00:00Z' })],
      pending: [{ client_id: 'wait', content: 'y', created: Date.parse('2026-11-24T10:00:02Z'), sent: false }],
    });
    expect(buildEntries({ ...inp, hasNewer: true }).map((e) => e.key)).toEqual(['m5', 'f1', 'm6']);
    expect(buildEntries(inp).map((e) => e.key)).toEqual(['m5', 'f1', 'm6', 'f3', 'f2', 'c7:wait']);
    const b = new RowBuilder();
    const detached = b.build({ ...inp, hasNewer: true });
    expect(detached.flatMap((r) => (r.kind === 'entry' ? [r.key] : []))).toEqual(['m5', 'f1', 'm6']);
    // Reaching the end brings them back, in a build from the same builder too.
    expect(b.build(inp).flatMap((r) => (r.kind === 'entry' ? [r.key] : []))).toEqual(['m5', 'f1', 'm6', 'f3', 'f2', 'c7:wait']);
  });

  it('shows pending sends last, as mine, and hides one whose server copy arrived', () => {
    const rows = buildTimeline(
      input({
        messages: [msg(1, 1, { user_id: 7, username: 'me', client_id: 'done', ...at('2026-11-23T10:00:00Z') })],
        pending: [
          { client_id: 'done', content: 'x', created: Date.parse('2026-11-23T10:00:01Z'), sent: true },
          { client_id: 'wait', content: 'y', created: Date.parse('2026-11-23T10:00:02Z'), sent: false },
        ],
      }),
    );
    expect(runs(rows)).toEqual(['2026-11-23', 'me:2']);
    expect(rows.flatMap((r) => (r.kind === 'entry' ? [r.entry.kind] : []))).toEqual(['message', 'pending']);
  });

  it('keeps the key of a pending send when its server copy arrives, so the row is not remounted', () => {
    const b = new RowBuilder();
    const pending = { client_id: 'abc', content: 'hi', created: Date.parse('2026-11-23T10:00:01Z'), sent: true };
    const before = b.build(input({ pending: [pending] }));
    const after = b.build(input({ messages: [msg(1, 1, { user_id: 7, username: 'me', client_id: 'abc', ...at('2026-11-23T10:00:01Z') })], pending: [pending] }));
    expect(entryKeys(before)).toEqual(entryKeys(after));
    // Someone else's message with the same client_id is another row.
    expect(entryKeys(buildTimeline(input({ messages: [msg(1, 1, { client_id: 'abc' })] })))).not.toEqual(entryKeys(before));
  });

  it('puts the New messages divider above its message, splitting a run by one sender', () => {
    const rows = buildTimeline(
      input({
        messages: [msg(1, 1, at('2026-11-23T10:00:00Z')), msg(2, 2, at('2026-11-23T10:01:00Z')), msg(3, 3, at('2026-11-23T10:02:00Z'))],
        dividerSeq: 2,
      }),
    );
    expect(runs(rows)).toEqual(['2026-11-23', 'bob:1', 'new', 'bob:2']);
  });

  it('puts the divider after the day separator when the first unread message starts a day', () => {
    const rows = buildTimeline(input({ messages: [msg(1, 1, at('2026-11-22T23:59:00Z')), msg(2, 2, at('2026-11-23T00:01:00Z'))], dividerSeq: 2 }));
    expect(rows.map((r) => r.kind)).toEqual(['day', 'entry', 'day', 'new', 'entry']);
  });

  it('names a run that starts with a file after the messages that follow it', () => {
    const rows = buildTimeline(input({ messages: [msg(2, 2, at('2026-11-23T10:00:30Z'))], files: [file(9, { created_at: '2026-11-23T10:00:00Z' })] }));
    expect(runs(rows)).toEqual(['2026-11-23', 'bob:2']);
  });
});

describe('RowBuilder', () => {
  const history = Array.from({ length: 200 }, (_, i) => msg(i + 1, i + 1));

  it('hands back the same row objects for what did not change when a message arrives', () => {
    const b = new RowBuilder();
    const before = b.build(input({ messages: history }));
    const after = b.build(input({ messages: [...history, msg(201, 201)] }));
    expect(after).toHaveLength(before.length + 1);
    before.forEach((r, i) => expect(after[i]).toBe(r));
  });

  it('makes a new row only for an entry whose place in its run changed', () => {
    const b = new RowBuilder();
    const one = [msg(5, 5, at('2026-11-23T10:00:00Z'))];
    const before = b.build(input({ messages: one, hasMore: true }));
    // Older history from the same sender: message 5 no longer heads its run.
    const after = b.build(input({ messages: [msg(4, 4, at('2026-11-23T09:59:00Z')), ...one] }));
    const row5 = (rows: Row[]) => rows.find((r) => r.key === 'm5');
    expect(row5(after)).not.toBe(row5(before));
    expect(row5(after)).toMatchObject({ head: false });
    expect(after[0]).toBe(before[0]); // the day separator
  });

  it('formats an entry time once', () => {
    const b = new RowBuilder();
    const [e] = b.entries(input({ messages: [msg(1, 1, at('2026-11-23T10:00:00Z'))] }));
    const s = stampOf(e);
    expect(s.iso).toBe('2026-11-23T10:00:00.000Z');
    expect(s.clock).toMatch(/10.00/);
    expect(stampOf(b.entries(input({ messages: [e.kind === 'message' ? e.message : msg(0, 0)] }))[0])).toBe(s);
  });
});

describe('prependedCount', () => {
  it('counts the rows added above the first entry row', () => {
    const b = new RowBuilder();
    const page = history(51, 100);
    const before = b.build(input({ messages: page, hasMore: true }));
    const after = b.build(input({ messages: [...history(1, 50), ...page] }));
    expect(prependedCount(before, after)).toBe(50);
    expect(prependedCount(after, b.build(input({ messages: [...history(1, 50), ...page, msg(101, 101)] })))).toBe(0);
    expect(prependedCount([], after)).toBe(0);
  });

  function history(from: number, to: number) {
    return Array.from({ length: to - from + 1 }, (_, i) => msg(from + i, from + i));
  }
});

describe('arrivals', () => {
  it('gives the messages of others after a seq, oldest first', () => {
    const rows = buildTimeline(
      input({
        messages: [msg(1, 1), msg(2, 2, { user_id: 7, username: 'me' }), msg(3, 3), msg(4, 4)],
        pending: [{ client_id: 'x', content: 'later', created: 1, sent: false }],
      }),
    );
    expect(arrivals(rows, 1, 7).map((m) => m.seq)).toEqual([3, 4]);
    expect(arrivals(rows, 4, 7)).toEqual([]);
    expect(lastSeq(rows)).toBe(4);
    expect(lastSeq([])).toBe(0);
  });
});

describe('RowBuilder, built step by step', () => {
  /** A small deterministic PRNG, so a failure replays. */
  function rng(seed: number) {
    return () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
  }
  const project = (rows: Row[]) => rows.map((r) => (r.kind === 'entry' ? `${r.key}|${r.head}|${r.userId}|${r.username}` : r.key));

  it('gives the rows a fresh build gives, whatever arrives in whatever order', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = rng(seed);
      const b = new RowBuilder();
      let t = Date.parse('2026-11-22T20:00:00Z');
      let seq = 100;
      let id = 1000;
      let messages = Array.from({ length: 5 }, () => msg(++id, ++seq, { created_at: new Date((t += 60_000)).toISOString() }));
      let files: FileItem[] = [];
      let pending: TimelineInput['pending'] = [];
      let oldest = 100;
      let hasMore = true;
      let dividerSeq: number | null = null;
      for (let step = 0; step < 60; step++) {
        const r = rand();
        if (r < 0.45) {
          // a live message, from one of three people, after a short or long silence
          t += rand() < 0.2 ? 3 * 3600_000 : rand() * 400_000;
          const who = Math.floor(rand() * 3);
          const mine = who === 0;
          const acking = mine && pending.length > 0 && rand() < 0.7 ? pending[0] : null;
          messages = [
            ...messages,
            msg(++id, ++seq, { user_id: mine ? 7 : who + 1, username: mine ? 'me' : `u${who}`, created_at: new Date(t).toISOString(), ...(acking ? { client_id: acking.client_id } : {}) }),
          ];
          if (acking && rand() < 0.5) pending = pending.slice(1);
        } else if (r < 0.6) {
          pending = [...pending, { client_id: `p${step}`, content: 'x', created: t + 1, sent: false }];
        } else if (r < 0.7) {
          files = [...files, file(step + 1, rand() < 0.5 ? { anchor_seq: seq } : { created_at: new Date(t - rand() * 900_000).toISOString() })];
        } else if (r < 0.78 && hasMore) {
          const older = Array.from({ length: 3 }, (_, i) => msg(++id, oldest - 3 + i, { created_at: new Date(Date.parse(messages[0].created_at) - (3 - i) * 50_000).toISOString() }));
          oldest -= 3;
          messages = [...older, ...messages];
          hasMore = oldest > 90;
        } else if (r < 0.82) {
          dividerSeq = messages[Math.floor(rand() * messages.length)].seq;
        } else if (r < 0.86) {
          pending = [];
        }
        const inp = input({ messages, files, pending, hasMore, dividerSeq });
        expect(project(b.build(inp)), `seed ${seed}, step ${step}`).toEqual(project(new RowBuilder().build(inp)));
      }
    }
  });

  it('appends without regrouping: the rows before the new message are the same objects', () => {
    const b = new RowBuilder();
    const history = Array.from({ length: 100 }, (_, i) => msg(i + 1, i + 1));
    const pending = [{ client_id: 'w', content: 'wait', created: Date.parse('2026-11-23T11:00:00Z'), sent: false }];
    const before = b.build(input({ messages: history, pending }));
    const after = b.build(input({ messages: [...history, msg(101, 101)], pending }));
    expect(after.map((r) => r.key).slice(-2)).toEqual(['m101', 'c7:w']);
    before.slice(0, -1).forEach((r, i) => expect(after[i]).toBe(r));
  });
});

describe('files attached to messages', () => {
  const attached = file(9, { created_at: '2026-11-23T10:00:01Z' });

  it('show in their message, not on their own', () => {
    const with9 = msg(2, 2, { ...at('2026-11-23T10:00:02Z'), files: [attached] });
    const entries = buildEntries(input({ messages: [msg(1, 1, at('2026-11-23T10:00:00Z')), with9], files: [attached, file(8, { created_at: '2026-11-23T10:00:03Z' })] }));
    expect(entries.map((e) => e.key)).toEqual(['m1', 'm2', 'f8']);
  });

  it('a live message with files moves them out of the timeline, also after an append', () => {
    const b = new RowBuilder();
    const first = [msg(1, 1, at('2026-11-23T10:00:00Z'))];
    const files = [{ ...attached, anchor_seq: 1 }];
    expect(entryKeys(b.build(input({ messages: first, files })))).toEqual(['day', 'm1', 'f9']);
    const rows = b.build(input({ messages: [...first, msg(2, 2, { ...at('2026-11-23T10:00:02Z'), files: [attached] })], files }));
    expect(entryKeys(rows)).toEqual(['day', 'm1', 'm2']);
  });
});
