import { describe, expect, it } from 'vitest';
import { ack, enqueue, frame, markSent, markUnsent, newClientId, restore, validateContent, type Pending } from './pending';

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

  it('encodes the wire frame with the client_id', () => {
    expect(JSON.parse(frame(p('a')))).toEqual({ type: 'message', content: 'c-a', client_id: 'a' });
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
});
