import { describe, expect, it } from 'vitest';
import {
  backfillJsonSchema,
  backfillKeys,
  BackfillRangeError,
  backfillRequestSchema,
} from '../../src/domain/backfill-plan.ts';
import { periodKey } from '../../src/domain/digest-key.ts';

const today = new Date('2026-01-05T12:00:00Z'); // a Monday, ISO week 2026-W02
const keys = (kind: 'day' | 'week' | 'month', from: string, to: string, maxKeys = 1000) =>
  backfillKeys({ kind, from, to }, { today, maxKeys });

describe('backfillKeys', () => {
  it('lists every day of a range, both ends included, across a month and a leap day', () => {
    expect(keys('day', '2024-02-27', '2024-03-02')).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
      '2024-03-02',
    ]);
    expect(keys('day', '2024-08-01', '2024-08-01')).toEqual(['2024-08-01']);
  });

  it('lists ISO weeks across a year with 53 weeks', () => {
    expect(keys('week', '2020-W52', '2021-W02')).toEqual(['2020-W52', '2020-W53', '2021-W01', '2021-W02']);
    expect(keys('week', '2025-W52', '2026-W02')).toEqual(['2025-W52', '2026-W01', '2026-W02']);
  });

  it('lists months across a year boundary', () => {
    expect(keys('month', '2025-11', '2026-01')).toEqual(['2025-11', '2025-12', '2026-01']);
  });

  it('allows the current key (today, this week, this month) but nothing later', () => {
    expect(keys('day', '2026-01-04', '2026-01-05')).toEqual(['2026-01-04', '2026-01-05']);
    expect(() => keys('day', '2026-01-04', '2026-01-06')).toThrow(
      new BackfillRangeError('"to" (2026-01-06) is in the future: the latest day there is to fetch is 2026-01-05'),
    );
    expect(() => keys('week', '2026-W01', '2026-W03')).toThrow(
      /"to" \(2026-W03\) is in the future: the latest week there is to fetch is 2026-W02/,
    );
    expect(() => keys('month', '2025-12', '2026-02')).toThrow(/the latest month there is to fetch is 2026-01/);
    expect([periodKey('day', today), periodKey('week', today), periodKey('month', today)]).toEqual([
      '2026-01-05',
      '2026-W02',
      '2026-01',
    ]);
  });

  it('refuses a reversed range, keys of another kind, impossible keys and too many keys', () => {
    expect(() => keys('day', '2024-08-10', '2024-08-01')).toThrow('"to" (2024-08-01) is before "from" (2024-08-10)');
    expect(() => keys('week', '2024-08-01', '2024-W40')).toThrow(/"from": .* \(a week backfill takes YYYY-Www keys\)/);
    expect(() => keys('day', '2024-02-30', '2024-03-01')).toThrow(/"from": "2024-02-30" is not a calendar date/);
    expect(() => keys('week', '2021-W53', '2021-W53')).toThrow(/"from": .*ISO week/);
    expect(() => keys('day', '2024-01-01', '2024-01-31', 30)).toThrow(
      'the range 2024-01-01 to 2024-01-31 holds more than 30 day keys (PAPERBOY_BACKFILL_MAX_KEYS): split it into smaller backfills',
    );
    expect(keys('day', '2024-01-01', '2024-01-30', 30)).toHaveLength(30);
  });
});

describe('backfillRequestSchema', () => {
  it('defaults force and details to false and the transport to the API, and refuses unknown fields (a typo is an error, not a silently ignored option)', () => {
    expect(backfillRequestSchema.parse({ kind: 'day', from: '2024-08-01', to: '2024-08-02' })).toEqual({
      kind: 'day',
      from: '2024-08-01',
      to: '2024-08-02',
      force: false,
      via: 'api',
      details: false,
    });
    expect(backfillRequestSchema.parse({ kind: 'day', from: '2024-08-01', to: '2024-08-02', via: 'html' }).via).toBe(
      'html',
    );
    expect(
      backfillRequestSchema.safeParse({ kind: 'day', from: '2024-08-01', to: '2024-08-02', via: 'rss' }).success,
    ).toBe(false);
    expect(
      backfillRequestSchema.safeParse({ kind: 'day', from: '2024-08-01', to: '2024-08-02', froce: true }).success,
    ).toBe(false);
    expect(backfillRequestSchema.safeParse({ kind: 'trending', from: '2024-08-01', to: '2024-08-02' }).success).toBe(
      false,
    );
  });
});

describe('backfillJsonSchema', () => {
  it("is the request schema as JSON Schema, with last week's days as the example that pre-fills Bull Board's form", () => {
    const schema = backfillJsonSchema(today);
    expect(schema).toMatchObject({
      type: 'object',
      required: ['kind', 'from', 'to'],
      additionalProperties: false,
      properties: { kind: { enum: ['day', 'week', 'month'] }, force: { type: 'boolean', default: false } },
      examples: [{ kind: 'day', from: '2025-12-29', to: '2026-01-04', force: false }],
    });
    expect(schema).not.toHaveProperty('$schema');
    // The example is itself a valid request.
    expect(backfillRequestSchema.safeParse((schema.examples as unknown[])[0]).success).toBe(true);
  });
});
