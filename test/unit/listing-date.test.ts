import { describe, expect, it } from 'vitest';
import { digestRef, type DigestKind } from '../../src/domain/digest-key.ts';
import { listingDate } from '../../src/domain/listing-date.ts';

const FETCHED = new Date('2026-11-27T06:00:00Z');
const ref = (kind: DigestKind, key?: string) => digestRef(kind, key, FETCHED);

describe('listingDate', () => {
  it('dates a daily page by its own date, whenever it was fetched and whatever the entry says', () => {
    expect(listingDate(ref('day', '2024-08-01'), null, FETCHED)).toBe('2024-08-01');
    expect(listingDate(ref('day', '2024-08-01'), '2024-07-31T23:10:00.000Z', FETCHED)).toBe('2024-08-01');
  });

  it.each([
    ['inside the week', '2025-W26', '2025-06-25T08:12:44.123Z', '2025-06-25'],
    ['on its Sunday', '2025-W26', '2025-06-29T23:59:59.999Z', '2025-06-29'],
    ['inside the week once in UTC', '2025-W26', '2025-06-22T23:30:00-02:00', '2025-06-23'],
    ['before the week', '2025-W26', '2025-06-22T23:59:59Z', '2025-06-23'],
    ['after the week', '2025-W26', '2025-06-30T00:00:00Z', '2025-06-23'],
    ['absent', '2025-W26', null, '2025-06-23'],
    ['in the old year of a week spanning the new year', '2025-W01', '2024-12-31T09:00:00Z', '2024-12-31'],
    ['in the new year of a week spanning the new year', '2025-W01', '2025-01-05T09:00:00Z', '2025-01-05'],
    ['absent, in a week starting in the previous year', '2025-W01', null, '2024-12-30'],
    ['a year later, same week number', '2025-W01', '2026-01-01T09:00:00Z', '2024-12-30'],
    ['inside week 53', '2020-W53', '2021-01-02T12:00:00Z', '2021-01-02'],
  ])('dates a week by the day on the daily page when %s', (_case, key, submitted, expected) => {
    expect(listingDate(ref('week', key), submitted, FETCHED)).toBe(expected);
  });

  it.each([
    ['inside the month', '2025-03', '2025-03-17T00:44:05.364Z', '2025-03-17'],
    ['inside the month once in UTC', '2025-04', '2025-03-31T23:30:00-01:00', '2025-04-01'],
    ['outside the month once in UTC', '2025-03', '2025-03-31T23:30:00-01:00', '2025-03-01'],
    ['a year earlier, same month', '2025-03', '2024-03-17T00:00:00Z', '2025-03-01'],
    ['absent', '2025-03', null, '2025-03-01'],
  ])('dates a month by the day on the daily page when %s', (_case, key, submitted, expected) => {
    expect(listingDate(ref('month', key), submitted, FETCHED)).toBe(expected);
  });

  it.each(['trending', 'front'] as const)(
    'dates %s by the day on the daily page, else by the fetch (its key)',
    (kind) => {
      const digest = ref(kind);
      expect(digest.key).toBe('2026-11-27');
      expect(listingDate(digest, '2026-11-20T01:02:03Z', FETCHED)).toBe('2026-11-20');
      expect(listingDate(digest, null, FETCHED)).toBe(digest.key);
    },
  );

  it('dates a search by the day on the daily page, else by the UTC day of the fetch', () => {
    const digest = ref('search', 'small language models');
    expect(listingDate(digest, '2025-10-08T03:00:00Z', FETCHED)).toBe('2025-10-08');
    expect(listingDate(digest, null, new Date('2026-11-27T23:30:00-05:00'))).toBe('2026-11-28');
  });

  it('refuses a single paper page: it is not a listing', () => {
    expect(() => listingDate(ref('paper', '2407.21783'), null, FETCHED)).toThrow(RangeError);
  });
});
