// Display helpers: times, sizes, day labels, initials, colours, links.

export function timeOfDay(t: number): string {
  return new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function fullTime(t: number): string {
  return new Date(t).toLocaleString();
}

/** When a message was sent, short, in a list of results: the time today, else the date (with the year when not this one) and the time. */
export function shortStamp(t: number, now = Date.now()): string {
  const d = new Date(t);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return timeOfDay(t);
  const date = d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: d.getFullYear() === today.getFullYear() ? undefined : 'numeric' });
  return `${date}, ${timeOfDay(t)}`;
}

/** "Today", "Yesterday" or a date, for a YYYY-MM-DD local day. */
export function dayLabel(day: string, now = Date.now()): string {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(y, m - 1, d);
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  const diff = Math.round((today.getTime() - date.getTime()) / 86_400_000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return date.toLocaleDateString(undefined, {
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    year: date.getFullYear() === today.getFullYear() ? undefined : 'numeric',
  });
}

export function fileSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/[\s._-]+/).filter(Boolean);
  const s = parts.length >= 2 ? parts[0][0] + parts[1][0] : (parts[0] ?? '?').slice(0, 2);
  return s.toUpperCase();
}

/** A stable hue per user. */
export function hue(id: number | string): number {
  if (typeof id === 'number') return Math.round((id * 137.508) % 360); // golden angle: neighbours differ
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % 360;
}

/** Relative luminance of an sRGB colour (WCAG 2). */
function luminance(r: number, g: number, b: number): number {
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** sRGB channels (0..1) of hsl(h s% l%). */
export function hslToRGB(h: number, s: number, l: number): [number, number, number] {
  const sat = s / 100;
  const lig = l / 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = sat * Math.min(lig, 1 - lig);
  const f = (n: number) => lig - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0), f(8), f(4)];
}

/** Contrast ratio of white text on an sRGB background. */
export function contrastWithWhite(rgb: [number, number, number]): number {
  return 1.05 / (luminance(...rgb) + 0.05);
}

/** Contrast the white initials on an avatar keep (WCAG AA for text). */
export const AVATAR_CONTRAST = 4.5;

/**
 * The background of a user's initials: their hue, as light as it can be
 * while white text on it keeps 4.5:1 (yellows and greens get darker shades
 * than blues).
 */
export function avatarColour(id: number | string): string {
  const h = hue(id);
  let c = shades.get(h);
  if (!c) {
    let l = 50;
    // The margin covers the browser rounding the colour to whole RGB values.
    while (l > 20 && contrastWithWhite(hslToRGB(h, 55, l)) < AVATAR_CONTRAST + 0.05) l--;
    shades.set(h, (c = `hsl(${h} 55% ${l}%)`));
  }
  return c;
}

const shades = new Map<number, string>();

export type TextPart = { text: string; href?: string };

/** Splits text into plain parts and http(s) links. */
export function linkify(text: string): TextPart[] {
  const out: TextPart[] = [];
  const re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ text: m[0], href: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

export function isImage(contentType: string | undefined): boolean {
  return !!contentType && /^image\/(png|jpe?g|gif|webp|avif|bmp)$/i.test(contentType);
}
