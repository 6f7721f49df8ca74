import { describe, expect, it } from 'vitest';
import { SeqTracker } from './seq';

describe('SeqTracker', () => {
  it('resumes from the highest seq seen when nothing is missing', () => {
    const t = new SeqTracker(10);
    [11, 12, 13].forEach((s) => t.observe(s));
    expect(t.resumeFrom).toBe(13);
    expect(t.maxSeen).toBe(13);
  });

  it('does not resume past a seq still in flight', () => {
    const t = new SeqTracker(10);
    t.observe(12);
    t.observe(13);
    expect(t.resumeFrom).toBe(10);
    expect(t.maxSeen).toBe(13);
    t.observe(11);
    expect(t.resumeFrom).toBe(13);
  });

  it('ignores old and repeated seqs', () => {
    const t = new SeqTracker(5);
    [3, 5, 6, 6, 6].forEach((s) => t.observe(s));
    expect(t.resumeFrom).toBe(6);
  });

  it('haveThrough jumps and absorbs what lies above', () => {
    const t = new SeqTracker(0);
    t.observe(7);
    t.observe(8);
    t.haveThrough(6);
    expect(t.resumeFrom).toBe(8);
    t.haveThrough(3);
    expect(t.resumeFrom).toBe(8);
  });

  it('knowOf raises the newest known seq without moving the resume point', () => {
    const t = new SeqTracker(4);
    t.knowOf(9);
    t.knowOf(2);
    expect(t.maxSeen).toBe(9);
    expect(t.resumeFrom).toBe(4);
  });
});
