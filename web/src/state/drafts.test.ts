import { describe, expect, it } from 'vitest';
import { clearDrafts, loadDraft, loadLastRoom, saveDraft, saveLastRoom, type KeyValueStorage } from './drafts';
import { MemoryStorage } from '../test/fakes';

const broken: KeyValueStorage = {
  get length(): number {
    throw new Error('denied');
  },
  key: () => {
    throw new Error('denied');
  },
  getItem: () => {
    throw new Error('denied');
  },
  setItem: () => {
    throw new Error('quota');
  },
  removeItem: () => {
    throw new Error('denied');
  },
};

describe('drafts', () => {
  it('keeps a draft per user and room, and forgets a blank one', () => {
    const s = new MemoryStorage();
    saveDraft(s, 1, 10, 'half a thought');
    saveDraft(s, 1, 11, 'another');
    saveDraft(s, 2, 10, 'not yours');
    expect(loadDraft(s, 1, 10)).toBe('half a thought');
    expect(loadDraft(s, 1, 12)).toBe('');
    saveDraft(s, 1, 10, '  \n');
    expect(loadDraft(s, 1, 10)).toBe('');
    expect(s.m.has('chat.draft.1.10')).toBe(false);
  });

  it('clears every draft of one user and no one else’s', () => {
    const s = new MemoryStorage();
    saveDraft(s, 1, 10, 'a');
    saveDraft(s, 1, 11, 'b');
    saveDraft(s, 12, 10, 'c'); // a user id that starts like 1
    s.setItem('chat.token', 't');
    clearDrafts(s, 1);
    expect([...s.m.keys()].sort()).toEqual(['chat.draft.12.10', 'chat.token']);
  });

  it('remembers the last room per user, and forgets it', () => {
    const s = new MemoryStorage();
    expect(loadLastRoom(s, 1)).toBeNull();
    saveLastRoom(s, 1, 42);
    expect(loadLastRoom(s, 1)).toBe(42);
    expect(loadLastRoom(s, 2)).toBeNull();
    saveLastRoom(s, 1, null);
    expect(loadLastRoom(s, 1)).toBeNull();
    s.setItem('chat.lastRoom.1', 'rubbish');
    expect(loadLastRoom(s, 1)).toBeNull();
  });

  it('storage that refuses loses drafts, nothing else', () => {
    expect(() => saveDraft(broken, 1, 1, 'x')).not.toThrow();
    expect(loadDraft(broken, 1, 1)).toBe('');
    expect(() => clearDrafts(broken, 1)).not.toThrow();
    expect(() => saveLastRoom(broken, 1, 3)).not.toThrow();
    expect(loadLastRoom(broken, 1)).toBeNull();
  });
});
