import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import {
  linearScale,
  renderSparkline,
  renderTimeChart,
  timeTicks,
  valueTicks,
  type TimePoint,
} from '../../src/dashboard/time-chart.ts';

const OPTIONS = { series: 'upvotes', unit: 'upvotes', label: 'Upvotes' };

function pointsOf(html: string) {
  const $ = load(html, { xml: false });
  return $('circle.point')
    .toArray()
    .map((element) => ({
      cx: Number($(element).attr('cx')),
      cy: Number($(element).attr('cy')),
      at: $(element).attr('data-at'),
      value: Number($(element).attr('data-value')),
      title: $(element).find('title').text(),
    }));
}

describe('the time chart', () => {
  // Irregular: 1 hour, then 2 days, then 5 minutes.
  const history: TimePoint[] = [
    { at: new Date('2026-11-01T10:00:00Z'), value: 3 },
    { at: new Date('2026-11-01T11:00:00Z'), value: 10 },
    { at: new Date('2026-11-03T11:00:00Z'), value: 42 },
    { at: new Date('2026-11-03T11:05:00Z'), value: 44 },
  ];

  it('draws one point per row, each with its time, value and a title saying both', () => {
    const points = pointsOf(renderTimeChart(history, OPTIONS));
    expect(points.map((point) => [point.at, point.value])).toEqual(
      history.map((row) => [row.at.toISOString(), row.value]),
    );
    expect(points[2]!.title).toBe('2026-11-03 11:00:00 UTC: 42 upvotes');
  });

  it('places points at x proportional to their time, so irregular intervals stay irregular', () => {
    const [a, b, c, d] = pointsOf(renderTimeChart(history, OPTIONS));
    const span = d!.cx - a!.cx;
    const total = history[3]!.at.getTime() - history[0]!.at.getTime();
    for (const [point, row] of [
      [b!, history[1]!],
      [c!, history[2]!],
    ] as const) {
      const expected = ((row.at.getTime() - history[0]!.at.getTime()) / total) * span;
      expect(point.cx - a!.cx).toBeCloseTo(expected, 1);
    }
    // Higher values are drawn higher (smaller y).
    expect(a!.cy).toBeGreaterThan(b!.cy);
    expect(b!.cy).toBeGreaterThan(c!.cy);
  });

  it('names its series and labels its axes with dates and values', () => {
    const $ = load(renderTimeChart(history, OPTIONS));
    expect($('figure.time-chart').attr('data-series')).toBe('upvotes');
    expect($('svg').attr('viewBox')).toBe('0 0 720 240');
    expect($('svg').attr('aria-label')).toBe('Upvotes');
    expect($('figcaption').text()).toBe(
      'Upvotes: 4 points, from 2026-11-01 10:00:00 UTC to 2026-11-03 11:05:00 UTC (hover a point for its value)',
    );
    const xLabels = $('.x-tick text')
      .toArray()
      .map((element) => $(element).text());
    expect(xLabels.length).toBeGreaterThanOrEqual(2);
    for (const label of xLabels) expect(label).toMatch(/^\d{2}-\d{2} \d{2}:\d{2}$|^\d{4}-\d{2}-\d{2}$/);
    const yLabels = $('.y-tick text')
      .toArray()
      .map((element) => Number($(element).text()));
    expect(Math.min(...yLabels)).toBeLessThanOrEqual(3);
    expect(Math.max(...yLabels)).toBeGreaterThanOrEqual(44);
  });

  it('keeps the rows as a table for readers who cannot see the drawing', () => {
    const $ = load(renderTimeChart(history, OPTIONS));
    const rows = $('details table.history tbody tr')
      .toArray()
      .map((row) =>
        $(row)
          .find('td')
          .toArray()
          .map((cell) => $(cell).text()),
      );
    expect(rows).toEqual([
      ['2026-11-01 10:00:00 UTC', '3'],
      ['2026-11-01 11:00:00 UTC', '10'],
      ['2026-11-03 11:00:00 UTC', '42'],
      ['2026-11-03 11:05:00 UTC', '44'],
    ]);
  });

  it('draws a single point and a flat series without dividing by zero', () => {
    for (const series of [
      [{ at: new Date('2026-11-01T10:00:00Z'), value: 7 }],
      [
        { at: new Date('2026-11-01T10:00:00Z'), value: 7 },
        { at: new Date('2026-11-04T10:00:00Z'), value: 7 },
      ],
    ]) {
      const html = renderTimeChart(series, OPTIONS);
      expect(html).not.toMatch(/NaN|Infinity/);
      const points = pointsOf(html);
      expect(points).toHaveLength(series.length);
      for (const point of points) {
        expect(Number.isFinite(point.cx) && Number.isFinite(point.cy)).toBe(true);
        expect(point.cy).toBeGreaterThan(0);
        expect(point.cy).toBeLessThan(240);
      }
    }
  });

  it('says "no history yet" instead of drawing an empty chart', () => {
    const html = renderTimeChart([], OPTIONS);
    expect(html).not.toContain('<svg');
    expect(load(html)('[data-series="upvotes"]').text()).toBe('No history yet.');
    expect(renderSparkline([], { ...OPTIONS, series: 'stars' })).toContain('no history yet');
  });

  it('escapes the series name, the unit and the label', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const html = renderTimeChart(history, { series: hostile, unit: hostile, label: hostile });
    expect(load(html)('img').length).toBe(0);
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('draws a sparkline with one point per row, scaled to its own small box', () => {
    const html = renderSparkline(history, { series: 'stars', unit: 'stars', label: 'Stars of a/b' });
    const $ = load(html);
    expect($('svg.sparkline').attr('data-series')).toBe('stars');
    const points = pointsOf(html);
    expect(points).toHaveLength(4);
    expect(points[0]!.cx).toBe(3);
    expect(points[3]!.cx).toBe(137);
    expect(pointsOf(renderSparkline([history[0]!], OPTIONS))[0]!.cx).toBe(70);
  });
});

describe('scales and ticks', () => {
  it('maps a domain linearly, and a one-value domain to the middle', () => {
    const scale = linearScale(10, 20, 0, 100);
    expect([scale(10), scale(15), scale(20)]).toEqual([0, 50, 100]);
    expect(linearScale(5, 5, 0, 100)(5)).toBe(50);
  });

  it('chooses round whole-number value ticks that cover the values', () => {
    expect(valueTicks(3, 44)).toEqual({ ticks: [0, 10, 20, 30, 40, 50], domain: [0, 50] });
    expect(valueTicks(0, 3).ticks).toEqual([0, 1, 2, 3]);
    expect(valueTicks(7, 7)).toEqual({ ticks: [6, 7, 8], domain: [6, 8] });
    expect(valueTicks(0, 0).ticks).toEqual([0, 1]);
    expect(valueTicks(12_000, 27_500).ticks).toEqual([10_000, 15_000, 20_000, 25_000, 30_000]);
  });

  it('gives a flat negative series a band around its value, not a NaN domain', () => {
    expect(valueTicks(-5, -5)).toEqual({ ticks: [-6, -5, -4], domain: [-6, -4] });
    expect(valueTicks(-1, -1)).toEqual({ ticks: [-2, -1, 0], domain: [-2, 0] });
    const html = renderTimeChart(
      [
        { at: new Date('2026-11-01T10:00:00Z'), value: -5 },
        { at: new Date('2026-11-04T10:00:00Z'), value: -5 },
      ],
      OPTIONS,
    );
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it('puts date ticks at round UTC times inside the span, labelled as precisely as the step needs', () => {
    const seconds = timeTicks(Date.parse('2026-11-29T21:45:03.200Z'), Date.parse('2026-11-29T21:45:09.900Z'));
    expect(seconds.map((tick) => tick.label)).toEqual(['21:45:04', '21:45:06', '21:45:08']);
    const days = timeTicks(Date.parse('2026-11-01T10:00:00Z'), Date.parse('2026-11-12T00:00:00Z'));
    expect(days.map((tick) => tick.label)).toEqual([
      '2026-11-03',
      '2026-11-05',
      '2026-11-07',
      '2026-11-09',
      '2026-11-11',
    ]);
    const months = timeTicks(Date.parse('2025-01-15T00:00:00Z'), Date.parse('2026-01-20T00:00:00Z'));
    expect(months.map((tick) => tick.label)).toEqual(['2025-04', '2025-07', '2025-10', '2026-01']);
    for (const tick of [...seconds, ...days, ...months])
      expect(new Date(tick.at).toISOString()).toMatch(/:00\.000Z$|\.000Z$/);
  });
});
