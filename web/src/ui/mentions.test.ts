import { describe, expect, it } from 'vitest';
import type { Member } from '../api/types';
import { insertMention, matchMembers, mentionedNames, mentionQuery } from './mentions';

describe('mentionQuery', () => {
  it.each([
    ['@', 1, { start: 0, query: '' }],
    ['hi @al', 6, { start: 3, query: 'al' }],
    ['hi @al and more', 6, { start: 3, query: 'al' }],
    ['(@bob.s', 7, { start: 1, query: 'bob.s' }],
    ['mail me@example', 15, null],
    ['no mention', 10, null],
    ['@alice hello', 12, null],
    ['hi @al', 3, null],
  ])('%j at %i', (text, caret, want) => {
    expect(mentionQuery(text, caret)).toEqual(want);
  });
});

describe('matchMembers', () => {
  const people: Member[] = [
    { id: 1, username: 'alice', display_name: 'Alice Liddell', online: true },
    { id: 2, username: 'bob', display_name: 'Allan Bob', online: false },
    { id: 3, username: 'al', online: true },
    { id: 7, username: 'alma', online: true },
  ];
  it('matches usernames first, then display names and their words, never the user', () => {
    expect(matchMembers(people, 'al', 7).map((m) => m.username)).toEqual(['al', 'alice', 'bob']);
    expect(matchMembers(people, 'LID', 7).map((m) => m.username)).toEqual(['alice']);
    expect(matchMembers(people, '', 7, 2).map((m) => m.username)).toEqual(['al', 'alice']);
    expect(matchMembers(people, 'zz', 7)).toEqual([]);
  });
});

describe('insertMention', () => {
  it('replaces what was typed after @ with the username and a space, caret after it', () => {
    expect(insertMention('hi @al', 3, 6, 'alice')).toEqual({ text: 'hi @alice ', caret: 10 });
    expect(insertMention('hi @al how', 3, 6, 'alice')).toEqual({ text: 'hi @alice how', caret: 10 });
  });
});

describe('mentionedNames', () => {
  it('names the mentioned people that are known', () => {
    const known = new Map([[1, { username: 'alice' }], [2, { username: 'bob' }]]);
    expect(mentionedNames([2, 9, 1], known)).toEqual(['bob', 'alice']);
    expect(mentionedNames(undefined, known)).toEqual([]);
  });
});
