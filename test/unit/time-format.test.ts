import { describe, expect, it } from 'vitest';
import { formatInterval } from '../../src/dashboard/status-page.ts';
import { formatUtc, relativeAge } from '../../src/dashboard/time-format.ts';

const NOW = new Date('2026-11-29T21:45:03.789Z');
const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000);

describe('times on the dashboard', () => {
  it('writes a time in UTC, to the second', () => {
    expect(formatUtc(NOW)).toBe('2026-11-29 21:45:03 UTC');
  });

  it('says how long ago, or how soon, in the largest unit that reads well', () => {
    expect(relativeAge(NOW, NOW)).toBe('just now');
    expect(relativeAge(at(-30), NOW)).toBe('just now');
    expect(relativeAge(at(30), NOW)).toBe('in a moment');
    expect(relativeAge(at(-60), NOW)).toBe('1 min ago');
    expect(relativeAge(at(-12 * 60 - 20), NOW)).toBe('12 min ago');
    expect(relativeAge(at(18 * 60), NOW)).toBe('in 18 min');
    expect(relativeAge(at(-89 * 60), NOW)).toBe('89 min ago');
    expect(relativeAge(at(-3 * 3600), NOW)).toBe('3 h ago');
    expect(relativeAge(at(47 * 3600), NOW)).toBe('in 47 h');
    expect(relativeAge(at(-3 * 86_400), NOW)).toBe('3 d ago');
  });

  it('writes an interval as an operator would say it', () => {
    expect(formatInterval(1_000)).toBe('1 s');
    expect(formatInterval(1_500)).toBe('1.5 s');
    expect(formatInterval(30 * 60_000)).toBe('30 min');
    expect(formatInterval(3_600_000)).toBe('1 h');
    expect(formatInterval(250)).toBe('250 ms');
  });
});
