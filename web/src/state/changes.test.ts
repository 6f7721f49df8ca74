import { describe, expect, it } from 'vitest';
import type { Message } from '../api/types';
import { change, msg } from '../test/fakes';
import { applyChange, applyToList, canDelete, canEdit, cutQuote, lastOwn, mentionsUser, QUOTE_MAX, quoteAfter, withReaction } from './changes';

describe('applyChange', () => {
  const m = msg(5, 5, { content: 'hello', mentions: [3] });

  it.each([
    ['an edit replaces text, mentions and edited_at', change('message_edited', 9, 5, { content: 'hello, world', mentions: [4] }), { content: 'hello, world', mentions: [4], edited_at: '2026-11-23T11:00:00Z' }],
    ['an edit without mentions drops them', change('message_edited', 9, 5, { content: 'plain', mentions: null }), { content: 'plain', mentions: undefined }],
    ['a deletion leaves a tombstone', change('message_deleted', 9, 5), { content: '', deleted: true, mentions: undefined, reactions: undefined, files: undefined }],
    ['a reaction adds the emoji with the count the server gave', change('reaction_added', 9, 5, { user_id: 8, emoji: '🎉', count: 1 }), { reactions: [{ emoji: '🎉', count: 1, user_ids: [8] }] }],
  ])('%s', (_, ev, want) => {
    expect(applyChange(m, ev)).toMatchObject(want);
  });

  it('leaves the message itself when the change is about another one, or shows already', () => {
    expect(applyChange(m, change('message_deleted', 9, 6))).toBe(m);
    const edited = applyChange(m, change('message_edited', 9, 5, { content: 'x', mentions: [1] }));
    expect(applyChange(edited, change('message_edited', 9, 5, { content: 'x', mentions: [1] }))).toBe(edited);
    const reacted = applyChange(m, change('reaction_added', 9, 5));
    expect(applyChange(reacted, change('reaction_added', 9, 5))).toBe(reacted);
  });

  it('changes nothing of a tombstone, and ignores a replayed edit that carries no text', () => {
    const gone = applyChange(m, change('message_deleted', 9, 5));
    expect(applyChange(gone, change('message_edited', 10, 5, { content: 'back?' }))).toBe(gone);
    expect(applyChange(gone, change('reaction_added', 11, 5))).toBe(gone);
    expect(applyChange(m, change('message_edited', 9, 5, { content: '' }))).toBe(m);
  });
});

describe('withReaction', () => {
  const thumbs = [{ emoji: '👍', count: 2, user_ids: [2, 3] }];
  it.each([
    ['a new reactor joins, count from the event', withReaction(thumbs, '👍', 4, 3, true), [{ emoji: '👍', count: 3, user_ids: [2, 3, 4] }]],
    ['a second emoji goes after the first', withReaction(thumbs, '❤️', 4, 1, true), [...thumbs, { emoji: '❤️', count: 1, user_ids: [4] }]],
    ['a reactor leaves', withReaction(thumbs, '👍', 2, 1, false), [{ emoji: '👍', count: 1, user_ids: [3] }]],
    ['the last one leaves: the emoji goes', withReaction([{ emoji: '👍', count: 1, user_ids: [2] }], '👍', 2, 0, false), undefined],
    ['removing from nothing is nothing', withReaction(undefined, '👍', 2, 0, false), undefined],
  ])('%s', (_, got, want) => {
    expect(got).toEqual(want);
  });

  it('applied twice is applied once (a resume replays changes)', () => {
    const once = withReaction(thumbs, '👍', 4, 3, true);
    expect(withReaction(once, '👍', 4, 3, true)).toBe(once);
    const off = withReaction(thumbs, '👍', 2, 1, false);
    expect(withReaction(off, '👍', 2, 1, false)).toBe(off);
  });
});

describe('quotes', () => {
  const q = { id: 5, seq: 5, user_id: 2, username: 'bob', content: 'hello', deleted: false };

  it('cuts long text as the server does', () => {
    expect(cutQuote('short')).toBe('short');
    const long = 'é'.repeat(QUOTE_MAX + 10);
    expect([...cutQuote(long)]).toHaveLength(QUOTE_MAX);
    expect(cutQuote(long).endsWith('…')).toBe(true);
  });

  it('follows the parent: edited text, then deleted', () => {
    const edited = quoteAfter(q, change('message_edited', 9, 5, { content: 'hello again' }));
    expect(edited).toMatchObject({ content: 'hello again', deleted: false });
    expect(quoteAfter(edited, change('message_deleted', 10, 5))).toMatchObject({ content: '', deleted: true });
    expect(quoteAfter(q, change('message_deleted', 10, 6))).toBe(q);
  });

  it('applyToList updates the message and every reply quoting it, and says whether it held the message', () => {
    const list: Message[] = [msg(5, 5, { content: 'parent' }), msg(6, 6, { reply_to: q }), msg(7, 7)];
    const { messages, found } = applyToList(list, change('message_deleted', 9, 5));
    expect(found).toBe(true);
    expect(messages[0]).toMatchObject({ deleted: true, content: '' });
    expect(messages[1].reply_to).toMatchObject({ deleted: true, content: '' });
    expect(messages[2]).toBe(list[2]);
    // A reply whose parent is not held still follows it.
    const orphan = applyToList([list[1]], change('message_edited', 9, 5, { content: 'new' }));
    expect(orphan.found).toBe(false);
    expect(orphan.messages[0].reply_to?.content).toBe('new');
    // Nothing to change: the list itself.
    expect(applyToList(list, change('reaction_removed', 9, 99)).messages).toBe(list);
  });
});

describe('who may do what', () => {
  const mine = msg(1, 1, { user_id: 7, created_at: '2026-11-23T10:00:00Z' });
  const theirs = msg(2, 2, { user_id: 8 });
  const at = Date.parse('2026-11-23T10:10:00Z');

  it.each([
    ['own message, no window', mine, 0, true],
    ['own message, inside the window', mine, 3600, true],
    ['own message, past the window', mine, 300, false],
    ['someone else’s', theirs, 0, false],
    ['deleted', { ...mine, deleted: true }, 0, false],
  ])('edit: %s', (_, m, window, want) => {
    expect(canEdit(m, 7, window, at)).toBe(want);
  });

  it('deletes own messages, and anyone’s in a room one owns', () => {
    expect(canDelete(mine, 7, 8)).toBe(true);
    expect(canDelete(theirs, 7, 8)).toBe(false);
    expect(canDelete(theirs, 7, 7)).toBe(true);
    expect(canDelete({ ...mine, deleted: true }, 7, 7)).toBe(false);
  });

  it('finds the last own message that is not deleted', () => {
    const list = [mine, msg(3, 3, { user_id: 7 }), theirs, { ...msg(4, 4, { user_id: 7 }), deleted: true }];
    expect(lastOwn(list, 7)?.id).toBe(3);
    expect(lastOwn([theirs], 7)).toBeUndefined();
  });

  it('detects a mention of the user, never in a tombstone', () => {
    expect(mentionsUser({ mentions: [7, 9] }, 7)).toBe(true);
    expect(mentionsUser({ mentions: [9] }, 7)).toBe(false);
    expect(mentionsUser({}, 7)).toBe(false);
    expect(mentionsUser({ mentions: [7], deleted: true }, 7)).toBe(false);
  });
});
