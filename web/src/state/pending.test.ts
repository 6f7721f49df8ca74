import { describe, expect, it } from 'vitest';
import { ack, enqueue, frame, loadQueues, markSent, markUnsent, newClientId, restore, saveQueue, validateContent, type Pending, type QueueStorage } from './pending';

const p = (id: string, sent = false): Pending => ({ client_id: id, content: `c-${id}`, created: 1, sent });

describe('pending queue', () => {
  it('keeps order and never holds one client_id twice', () => {
    let q = enqueue([], p('a'));
    q = enqueue(q, p('b'));
    q = enqueue(q, p('a'));
    expect(q.map((x) => x.client_id)).toEqual(['a', 'b']);
  });

  it('removes exactly the acknowledged entry', () => {
    const q = [p('a'), p('b'), p('c')];
    expect(ack(q, 'b').map((x) => x.client_id)).toEqual(['a', 'c']);
    expect(ack(q, 'zzz')).toBe(q);
    expect(ack(q, undefined)).toBe(q);
  });

  it('marks sent and unsent', () => {
    const q = markSent([p('a'), p('b')], new Set(['b']));
    expect(q.map((x) => x.sent)).toEqual([false, true]);
    expect(markUnsent(q).every((x) => !x.sent)).toBe(true);
  });

  it('encodes the wire frame with the room and the client_id', () => {
    expect(JSON.parse(frame(p('a'), 4))).toEqual({ type: 'message', room_id: 4, content: 'c-a', client_id: 'a' });
  });

  it('carries a reply and attached files in the frame, and only then', () => {
    const q = { id: 3, seq: 3, user_id: 2, username: 'bob', content: 'why?', deleted: false };
    const withExtras: Pending = { ...p('a'), reply_to: 3, quote: q, file_ids: [9, 10], files: [{ id: 9, filename: 'x', content_type: 'text/plain', size: 1, file_url: '/f' }] };
    expect(JSON.parse(frame(withExtras, 4))).toEqual({ type: 'message', room_id: 4, content: 'c-a', client_id: 'a', reply_to: 3, file_ids: [9, 10] });
    expect(JSON.parse(frame({ ...p('b'), file_ids: [] }, 4))).toEqual({ type: 'message', room_id: 4, content: 'c-b', client_id: 'b' });
    // A reload keeps them, and drops what is malformed.
    const back = restore(JSON.stringify([withExtras, { ...p('c'), reply_to: 'x', file_ids: [1, -2], quote: q }]));
    expect(back[0]).toEqual({ ...withExtras, sent: false });
    expect(back[1]).toEqual(p('c'));
  });

  it('restores a stored queue as unsent and drops junk', () => {
    const raw = JSON.stringify([p('a', true), { nope: 1 }, p('b')]);
    expect(restore(raw)).toEqual([{ ...p('a'), sent: false }, p('b')]);
    expect(restore('not json')).toEqual([]);
    expect(restore(null)).toEqual([]);
  });

  it('validates content like the server', () => {
    expect(validateContent('   ')).not.toBeNull();
    expect(validateContent('hi')).toBeNull();
    expect(validateContent('ü'.repeat(4000))).toBeNull();
    expect(validateContent('a'.repeat(4001))).not.toBeNull();
  });

  it('makes distinct uuid-shaped client ids of at most 64 bytes', () => {
    const a = newClientId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newClientId()).not.toBe(a);
  });

  it('stores one queue per user and room, and loads them all back as unsent', () => {
    const m = new Map<string, string>();
    const storage: QueueStorage = {
      get length() {
        return m.size;
      },
      key: (i) => [...m.keys()][i] ?? null,
      getItem: (k) => m.get(k) ?? null,
      setItem: (k, v) => void m.set(k, v),
      removeItem: (k) => void m.delete(k),
    };
    saveQueue(storage, 7, 1, [p('a', true)]);
    saveQueue(storage, 7, 2, [p('b')]);
    saveQueue(storage, 8, 1, [p('c')]);
    m.set('chat.pending.7.junk', '[]');
    expect(loadQueues(storage, 7)).toEqual(new Map([[1, [p('a')]], [2, [p('b')]]]));
    saveQueue(storage, 7, 1, []);
    expect([...loadQueues(storage, 7).keys()]).toEqual([2]);
  });
});
