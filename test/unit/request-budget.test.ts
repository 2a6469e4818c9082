import { describe, expect, it } from 'vitest';
import {
  durationMsFor,
  estimateMs,
  followedPolicy,
  formatDuration,
  parseRateLimit,
  parseRateLimitPolicy,
  spacingMs,
} from '../../src/domain/request-budget.ts';

describe('rate-limit headers (IETF draft, as Hugging Face sends them)', () => {
  it('reads where a bucket stands and what it allows', () => {
    expect(parseRateLimit('"api";r=0;t=55')).toEqual({ bucket: 'api', remaining: 0, resetMs: 55_000 });
    expect(parseRateLimit('"pages";r=87;t=201')).toEqual({ bucket: 'pages', remaining: 87, resetMs: 201_000 });
    expect(parseRateLimitPolicy('"fixed window";"api";q=500;w=300')).toEqual({
      bucket: 'api',
      quota: 500,
      windowMs: 300_000,
    });
    expect(parseRateLimitPolicy('"fixed window";"pages";q=200;w=300')).toEqual({
      bucket: 'pages',
      quota: 200,
      windowMs: 300_000,
    });
    // Spacing and case do not matter; a header without a bucket name still says what it says.
    expect(parseRateLimit(' "API" ; R=3 ; T=9 ')).toEqual({ bucket: 'api', remaining: 3, resetMs: 9_000 });
    expect(parseRateLimitPolicy('q=100;w=60')).toEqual({ bucket: undefined, quota: 100, windowMs: 60_000 });
  });

  it.each([
    undefined,
    '',
    '"api"',
    '"api";r=5',
    '"api";t=5',
    '"api";r=-1;t=5',
    '"api";r=1.5;t=5',
    '"api";r=abc;t=5',
    '"api";r=5;t=99999999999',
    'garbage',
    '"api";r=5;t=5;oops',
    `"api";r=5;t=5;${'x'.repeat(600)}`,
  ])('ignores a RateLimit header it cannot read fully: %j', (value) => {
    expect(parseRateLimit(value)).toBeUndefined();
  });

  it.each([
    undefined,
    '',
    '"fixed window";"api"',
    '"fixed window";"api";q=0;w=300',
    '"fixed window";"api";q=500;w=0',
    '"fixed window";"api";q=500',
    'q=x;w=y',
    '"api";q=1e3;w=300',
  ])('ignores a RateLimit-Policy header it cannot read fully: %j', (value) => {
    expect(parseRateLimitPolicy(value)).toBeUndefined();
  });
});

describe('which budget a bucket follows', () => {
  const anonymousApi = { quota: 500, windowMs: 300_000, explicit: false };
  const explicitApi = { quota: 500, windowMs: 300_000, explicit: true };

  it('follows the server when the budget is the default: a paid tier speeds up, a smaller quota slows down', () => {
    expect(followedPolicy(anonymousApi, { quota: 2_500, windowMs: 300_000 })).toEqual({
      quota: 2_500,
      windowMs: 300_000,
    });
    expect(followedPolicy(anonymousApi, { quota: 100, windowMs: 60_000 })).toEqual({ quota: 100, windowMs: 60_000 });
    expect(followedPolicy(anonymousApi, undefined)).toEqual({ quota: 500, windowMs: 300_000 });
  });

  it('keeps an explicit budget as a ceiling the server can lower but not raise', () => {
    expect(followedPolicy(explicitApi, { quota: 2_500, windowMs: 300_000 })).toEqual({ quota: 500, windowMs: 300_000 });
    expect(followedPolicy(explicitApi, { quota: 200, windowMs: 300_000 })).toEqual({ quota: 200, windowMs: 300_000 });
    // The same rate over another window is not slower: the configured budget stays.
    expect(followedPolicy(explicitApi, { quota: 100, windowMs: 60_000 })).toEqual({ quota: 500, windowMs: 300_000 });
  });
});

describe('spacing', () => {
  it('spaces requests window / (quota - 1) apart, so no window of the server holds more than the quota', () => {
    expect(spacingMs({ quota: 100, windowMs: 300_000 })).toBeCloseTo(3_030.3, 1);
    expect(spacingMs({ quota: 500, windowMs: 300_000 })).toBeCloseTo(601.2, 1);
    // Slots s_i = i * spacing, each request delayed by up to (almost) one spacing: count the most in any window.
    for (const quota of [2, 3, 10, 100, 500]) {
      const windowMs = 10_000;
      const spacing = spacingMs({ quota, windowMs });
      const arrivals = Array.from({ length: quota * 5 }, (_, i) => i * spacing + (i % 2 === 0 ? 0.999 * spacing : 0));
      arrivals.sort((a, b) => a - b);
      let busiest = 0;
      for (let i = 0; i < arrivals.length; i += 1) {
        let j = i;
        while (j < arrivals.length && arrivals[j]! < arrivals[i]! + windowMs) j += 1;
        busiest = Math.max(busiest, j - i);
      }
      expect(busiest, `quota ${quota}`).toBeLessThanOrEqual(quota);
    }
  });

  it('estimates the time left: the pace, after any pause', () => {
    const api = { quota: 500, windowMs: 300_000 };
    expect(durationMsFor(365, api)).toBeCloseTo(219_439, 0);
    expect(estimateMs(365, api, new Date(61_000), 1_000)).toBeCloseTo(60_000 + 219_439, 0);
    expect(estimateMs(10, api, new Date(0), 1_000)).toBeCloseTo(6_012, 0);
    expect(formatDuration(219_439)).toBe('3 min 39 s');
    expect(formatDuration(300_000)).toBe('5 min');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(3_840_000)).toBe('1 h 4 min');
  });
});
