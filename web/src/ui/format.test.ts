import { describe, expect, it } from 'vitest';
import { avatarColour, contrastWithWhite, dayLabel, fileSize, hslToRGB, initials, isImage, linkify, shortStamp, timeOfDay } from './format';

describe('format', () => {
  it('labels days', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(dayLabel('2026-11-23', now)).toBe('Today');
    expect(dayLabel('2026-11-22', now)).toBe('Yesterday');
    expect(dayLabel('2026-11-01', now)).not.toMatch(/Today|Yesterday/);
  });
  it('stamps a result: the time today, the date before, the year before this one', () => {
    const now = new Date(2026, 10, 23, 18, 0).getTime();
    const today = new Date(2026, 10, 23, 9, 5).getTime();
    expect(shortStamp(today, now)).toBe(timeOfDay(today));
    const earlier = new Date(2026, 2, 4, 9, 5).getTime();
    expect(shortStamp(earlier, now)).toContain(timeOfDay(earlier));
    expect(shortStamp(earlier, now)).not.toContain('2026');
    expect(shortStamp(new Date(2025, 2, 4, 9, 5).getTime(), now)).toContain('2025');
  });
  it('sizes', () => {
    expect(fileSize(12)).toBe('12 B');
    expect(fileSize(2048)).toBe('2.0 KB');
    expect(fileSize(5 * 1024 * 1024)).toBe('5.0 MB');
  });
  it('initials', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('bob')).toBe('BO');
    expect(initials('mary_jane')).toBe('MJ');
  });
  it('links only http(s) and leaves trailing punctuation out', () => {
    expect(linkify('see https://a.example/x?y=1. and javascript:alert(1)')).toEqual([
      { text: 'see ' },
      { text: 'https://a.example/x?y=1', href: 'https://a.example/x?y=1' },
      { text: '. and javascript:alert(1)' },
    ]);
  });
  it('recognises raster images only (never SVG)', () => {
    expect(isImage('image/png')).toBe(true);
    expect(isImage('image/svg+xml')).toBe(false);
    expect(isImage('application/pdf')).toBe(false);
  });
  it('gives every avatar colour at least 4.5:1 against its white initials', () => {
    expect(hslToRGB(0, 100, 50).map((c) => Math.round(c * 255))).toEqual([255, 0, 0]);
    expect(hslToRGB(120, 100, 25).map((c) => Math.round(c * 255))).toEqual([0, 128, 0]);
    for (let id = 0; id < 720; id++) {
      const [, h, s, l] = /^hsl\((\d+) (\d+)% (\d+)%\)$/.exec(avatarColour(id))!.map(Number);
      expect(contrastWithWhite(hslToRGB(h, s, l)), `user ${id}: ${avatarColour(id)}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});
