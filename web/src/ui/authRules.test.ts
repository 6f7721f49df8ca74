import { describe, expect, it } from 'vitest';
import { passwordProblem, usernameProblem } from './authRules';

describe('sign-up rules', () => {
  it('accepts what the server accepts', () => {
    for (const u of ['bob', 'Alice_2', ' carol.d-e ', 'a'.repeat(32)]) expect(usernameProblem(u)).toBeNull();
    for (const p of ['12345678', 'correct horse battery', 'пароль-пароль']) expect(passwordProblem(p)).toBeNull();
  });

  it('says which rule a username breaks', () => {
    expect(usernameProblem('ab')).toMatch(/3 to 32 characters/);
    expect(usernameProblem('a'.repeat(33))).toMatch(/3 to 32 characters/);
    expect(usernameProblem('bob smith')).toMatch(/only a–z/);
    expect(usernameProblem('zoë')).toMatch(/only a–z/);
  });

  it('counts a password in characters, not bytes', () => {
    expect(passwordProblem('short')).toMatch(/at least 8/);
    expect(passwordProblem('ééé')).toMatch(/at least 8/); // 6 bytes, 3 characters
    expect(passwordProblem('😀😀😀😀😀😀😀😀')).toBeNull();
    expect(passwordProblem('x'.repeat(257))).toMatch(/at most 256/);
  });
});
