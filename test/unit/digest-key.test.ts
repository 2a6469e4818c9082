import { describe, expect, it } from 'vitest';
import { assertNotInFuture, digestRef, digestUrl, isoWeekOf, isoWeeksInYear } from '../../src/domain/digest-key.ts';
import { dailyPapersApiUrl } from '../../src/http/hf-api-client.ts';

const BASE = 'https://huggingface.co';

describe('digest keys and URLs', () => {
  it('builds the URL of every list kind', () => {
    const now = new Date('2026-11-27T06:00:00Z');
    expect(digestUrl(BASE, digestRef('day', '2024-08-01'))).toBe('https://huggingface.co/papers/date/2024-08-01');
    expect(digestUrl(BASE, digestRef('week', '2024-W31'))).toBe('https://huggingface.co/papers/week/2024-W31');
    expect(digestUrl(BASE, digestRef('month', '2024-08'))).toBe('https://huggingface.co/papers/month/2024-08');
    expect(digestRef('trending', undefined, now)).toEqual({ source: 'hf', kind: 'trending', key: '2026-11-27' });
    expect(digestUrl(BASE, digestRef('trending', undefined, now))).toBe('https://huggingface.co/papers/trending');
    expect(digestUrl(BASE, digestRef('front', undefined, now))).toBe('https://huggingface.co/papers');
    expect(digestUrl(BASE, digestRef('search', '  small   language models '))).toBe(
      'https://huggingface.co/papers?q=small%20language%20models',
    );
    expect(digestRef('search', '  small   language models ').key).toBe('small language models');
    expect(digestUrl(BASE, digestRef('paper', 'https://arxiv.org/abs/2407.21783v2'))).toBe(
      'https://huggingface.co/papers/2407.21783',
    );
  });

  it('builds the JSON API URL of day, week and month, page by page', () => {
    expect(dailyPapersApiUrl(BASE, 'day', '2024-08-01', 0)).toBe(
      'https://huggingface.co/api/daily_papers?date=2024-08-01&limit=100&p=0',
    );
    expect(dailyPapersApiUrl(BASE, 'week', '2024-W31', 2)).toBe(
      'https://huggingface.co/api/daily_papers?week=2024-W31&limit=100&p=2',
    );
    expect(dailyPapersApiUrl(BASE, 'month', '2024-08', 1)).toBe(
      'https://huggingface.co/api/daily_papers?month=2024-08&limit=100&p=1',
    );
  });

  it.each([
    ['day', '2024-02-29'],
    ['week', '2020-W53'],
    ['week', '2026-W01'],
    ['month', '2024-12'],
  ] as const)('accepts %s %s', (kind, key) => {
    expect(digestRef(kind, key).key).toBe(key);
  });

  it.each([
    ['day', '2023-02-29'],
    ['day', '2024-8-1'],
    ['week', '2024-W53'],
    ['week', '2024-W00'],
    ['week', '2024-31'],
    ['month', '2024-13'],
    ['month', '2024-8'],
    ['search', '   '],
    ['paper', 'not-a-paper'],
  ] as const)('rejects %s %s with a message naming the key', (kind, key) => {
    expect(() => digestRef(kind, key)).toThrow(RangeError);
    expect(() => digestRef(kind, key)).toThrow(key.trim() === '' ? /search/ : key);
  });

  it('knows ISO weeks', () => {
    expect(isoWeekOf(new Date('2024-08-01T00:00:00Z'))).toEqual({ year: 2024, week: 31 });
    expect(isoWeekOf(new Date('2021-01-03T00:00:00Z'))).toEqual({ year: 2020, week: 53 });
    expect(isoWeekOf(new Date('2024-12-30T00:00:00Z'))).toEqual({ year: 2025, week: 1 });
    expect([2020, 2024, 2026].map(isoWeeksInYear)).toEqual([53, 52, 53]);
  });
});

describe('assertNotInFuture: the one rule of `ingest` and `backfill` for keys not published yet', () => {
  // A Sunday, the last day of ISO week 2026-W02 and of no month: tomorrow is in the next week but the same month.
  const today = new Date('2026-01-11T23:30:00Z');

  it.each([
    ['day', '2024-08-01', '2026-01-11', '2026-01-12'],
    ['week', '2024-W31', '2026-W02', '2026-W03'],
    ['month', '2024-08', '2026-01', '2026-02'],
  ] as const)('%s: past keys and today’s are allowed, the next one is refused', (kind, past, current, next) => {
    expect(() => assertNotInFuture(kind, past, today)).not.toThrow();
    expect(() => assertNotInFuture(kind, current, today)).not.toThrow();
    expect(() => assertNotInFuture(kind, next, today)).toThrow(
      new RangeError(`"${next}" is in the future: the latest ${kind} there is to fetch is ${current}`),
    );
  });

  it('names the key as the caller says', () => {
    expect(() => assertNotInFuture('day', '2099-01-01', today, '"to" (2099-01-01)')).toThrow(
      '"to" (2099-01-01) is in the future: the latest day there is to fetch is 2026-01-11',
    );
  });
});
