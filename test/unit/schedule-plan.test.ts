import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { planSchedule } from '../../src/domain/schedule-plan.ts';
import { digestJobId } from '../../src/queue/contracts.ts';
import { scheduleDefinitions } from '../../src/queue/schedules.ts';

const NOW = new Date('2026-11-27T06:40:00Z');
const keys = (refs: Array<{ kind: string; key: string }>) => refs.map((ref) => `${ref.kind} ${ref.key}`);

describe('planSchedule', () => {
  it('daily-recent: today and yesterday, plus the days of the last week never fetched', () => {
    const fetchedDays = new Set(['2026-11-25', '2026-11-23', '2026-11-22', '2026-11-21', '2026-11-20']);
    expect(keys(planSchedule('daily-recent', { now: NOW, savedSearches: [], fetchedDays }))).toEqual([
      'day 2026-11-27',
      'day 2026-11-26',
      'day 2026-11-24',
    ]);
  });

  it('periods: this and last ISO week, this and last month', () => {
    expect(keys(planSchedule('periods', { now: NOW, savedSearches: [], fetchedDays: new Set() }))).toEqual([
      'week 2026-W48',
      'week 2026-W47',
      'month 2026-11',
      'month 2026-10',
    ]);
    const newYear = new Date('2027-01-02T01:00:00Z');
    expect(keys(planSchedule('periods', { now: newYear, savedSearches: [], fetchedDays: new Set() }))).toEqual([
      'week 2026-W53',
      'week 2026-W52',
      'month 2027-01',
      'month 2026-12',
    ]);
  });

  it('trending and the front page, keyed by the UTC day; saved searches; the last 14 days', () => {
    expect(keys(planSchedule('trending', { now: NOW, savedSearches: [], fetchedDays: new Set() }))).toEqual([
      'trending 2026-11-27',
      'front 2026-11-27',
    ]);
    expect(
      keys(
        planSchedule('searches', {
          now: NOW,
          savedSearches: ['lightweight', 'diffusion  models'],
          fetchedDays: new Set(),
        }),
      ),
    ).toEqual(['search lightweight', 'search diffusion models']);
    const refetch = keys(planSchedule('refetch-recent', { now: NOW, savedSearches: [], fetchedDays: new Set() }));
    expect(refetch).toHaveLength(13);
    expect(refetch[0]).toBe('day 2026-11-25');
    expect(refetch.at(-1)).toBe('day 2026-11-13');
  });

  it('paper-details: the own page of each paper due, each once', () => {
    const detailsDue = ['2509.24002', '2605.06554', '2509.24002'];
    expect(
      keys(planSchedule('paper-details', { now: NOW, savedSearches: [], fetchedDays: new Set(), detailsDue })),
    ).toEqual(['paper 2509.24002', 'paper 2605.06554']);
    expect(planSchedule('paper-details', { now: NOW, savedSearches: [], fetchedDays: new Set() })).toEqual([]);
  });
});

describe('schedule definitions and job ids', () => {
  it('uses the defaults, overridden or removed by PAPERBOY_SCHEDULES; searches only with saved searches', () => {
    expect(scheduleDefinitions(loadConfig({})).map((definition) => definition.name)).toEqual([
      'daily-recent',
      'periods',
      'trending',
      'refetch-recent',
      'paper-details',
      'repos-refresh',
      'prune-pages',
    ]);
    const config = loadConfig({
      PAPERBOY_SCHEDULES: '{"trending": null, "periods": "0 4 * * *"}',
      PAPERBOY_SAVED_SEARCHES: 'lightweight',
    });
    expect(scheduleDefinitions(config)).toEqual([
      { name: 'daily-recent', pattern: '*/30 * * * *' },
      { name: 'periods', pattern: '0 4 * * *' },
      { name: 'searches', pattern: '30 3 * * *' },
      { name: 'refetch-recent', pattern: '45 2 * * *' },
      { name: 'paper-details', pattern: '20 4 * * *' },
      { name: 'repos-refresh', pattern: '0 5 * * *' },
      { name: 'prune-pages', pattern: '50 4 * * *' },
    ]);
    expect(() => scheduleDefinitions(loadConfig({ PAPERBOY_SCHEDULES: '{"hourly": "0 * * * *"}' }))).toThrow(
      /unknown schedule "hourly"/,
    );
    expect(() => loadConfig({ PAPERBOY_SCHEDULES: 'trending=off' })).toThrow(
      /PAPERBOY_SCHEDULES: must be a JSON object/,
    );
  });

  it('gives each digest a deterministic job id BullMQ accepts', () => {
    expect(digestJobId({ source: 'hf', kind: 'day', key: '2024-08-01' })).toBe('digest-hf-day-2024-08-01');
    expect(digestJobId({ source: 'hf', kind: 'search', key: 'a: b/c' })).toBe('digest-hf-search-a%3A%20b%2Fc');
  });
});
