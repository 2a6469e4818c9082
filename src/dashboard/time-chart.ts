import { escapeHtml } from '../domain/html.ts';
import { formatUtc } from './time-format.ts';

/**
 * A history drawn as server-rendered SVG: time on the x axis as it really
 * passed (irregular intervals stay irregular), the value on the y axis, one
 * point per history row with its value in a `<title>` (shown on hover with no
 * script), and the rows again as a table for whoever cannot see the drawing.
 * Pure: points in, markup out; every text goes through escapeHtml.
 */

export interface TimePoint {
  at: Date;
  value: number;
}

export interface TimeChartOptions {
  /** The series' name (`data-series`): what a test or a script finds the chart by. */
  series: string;
  /** What the values count, said in titles and the table (e.g. "upvotes"). */
  unit: string;
  /** The chart's accessible name. */
  label: string;
}

/** The drawing's own coordinate space: the SVG scales to its container's width. */
const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { top: 14, right: 24, bottom: 30, left: 56 };
const TARGET_TICKS = 5;

export interface Scale {
  (value: number): number;
}

/** A linear map of [d0, d1] onto [r0, r1]; a domain of one value maps to the middle of the range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** Round value ticks (1, 2 or 5 times a power of ten, whole numbers) covering [min, max], and the domain they span. */
export function valueTicks(min: number, max: number): { ticks: number[]; domain: [number, number] } {
  // A flat series still gets an axis: a band around its one value, floored at 0 only when no value is below it.
  const [low, high] = min === max ? [min >= 0 ? Math.max(0, min - 1) : min - 1, max + 1] : [min, max];
  const rough = (high - low) / TARGET_TICKS;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(
    1,
    [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough)!,
  );
  const first = Math.floor(low / step) * step;
  const last = Math.ceil(high / step) * step;
  const ticks: number[] = [];
  for (let tick = first; tick <= last + step / 2; tick += step) ticks.push(Math.round(tick));
  return { ticks, domain: [first, last] };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FIXED_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
];
const MONTH_STEPS = [1, 2, 3, 6, 12, 24, 60];

/**
 * Date ticks inside [start, end] at round UTC times (whole seconds, minutes,
 * hours, midnights, firsts of months), about TARGET_TICKS of them, each with
 * a label as precise as its step needs.
 */
export function timeTicks(start: number, end: number): Array<{ at: number; label: string }> {
  if (end <= start) return [{ at: start, label: formatTime(start, end - start < DAY ? MINUTE : DAY) }];
  const span = end - start;
  // The step whose tick count comes nearest the target, if one gives no more than 8 ticks; else months.
  const fixed = FIXED_STEPS.filter((step) => span / step <= 8).sort(
    (a, b) => Math.abs(span / a - TARGET_TICKS) - Math.abs(span / b - TARGET_TICKS),
  )[0];
  if (fixed !== undefined) {
    const ticks: Array<{ at: number; label: string }> = [];
    for (let at = Math.ceil(start / fixed) * fixed; at <= end; at += fixed) ticks.push({ at, label: '' });
    // One label format for the whole axis, from the step: a day-or-longer step shows dates alone.
    return ticks.map((tick) => ({ ...tick, label: formatTime(tick.at, fixed) }));
  }
  const months = MONTH_STEPS.find((step) => step * 30 * DAY >= span / TARGET_TICKS) ?? MONTH_STEPS.at(-1)!;
  const ticks: Array<{ at: number; label: string }> = [];
  const first = new Date(start);
  // Months counted from year 0, so a step of 3 or 6 lands on the same months every year.
  for (
    let month = Math.ceil((first.getUTCFullYear() * 12 + first.getUTCMonth()) / months) * months;
    ;
    month += months
  ) {
    const at = Date.UTC(Math.floor(month / 12), month % 12, 1);
    if (at > end) break;
    if (at >= start) ticks.push({ at, label: new Date(at).toISOString().slice(0, months >= 12 ? 4 : 7) });
  }
  return ticks;
}

function formatTime(at: number, step: number): string {
  const iso = new Date(at).toISOString();
  if (step >= DAY) return iso.slice(0, 10);
  if (step >= MINUTE) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, 19);
}

/**
 * The history as a chart (a <figure> with the SVG and a <details> table), or
 * a "no history yet" note when there are no rows. The line holds each value
 * until the next row: the history records changes, not samples.
 */
export function renderTimeChart(points: readonly TimePoint[], options: TimeChartOptions): string {
  const series = escapeHtml(options.series);
  if (points.length === 0) return `<p class="no-history muted" data-series="${series}">No history yet.</p>`;
  const sorted = [...points].sort((a, b) => a.at.getTime() - b.at.getTime());
  const times = sorted.map((point) => point.at.getTime());
  const values = sorted.map((point) => point.value);
  const [start, end] = [times[0]!, times.at(-1)!];
  const { ticks: yTicks, domain } = valueTicks(Math.min(...values), Math.max(...values));
  const x = linearScale(start, end, MARGIN.left, WIDTH - MARGIN.right);
  const y = linearScale(domain[0], domain[1], HEIGHT - MARGIN.bottom, MARGIN.top);
  const coordinates = sorted.map((point) => [x(point.at.getTime()), y(point.value)] as const);

  const grid = yTicks
    .map(
      (tick) =>
        `<g class="y-tick"><line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${num(y(tick))}" y2="${num(y(tick))}"/>` +
        `<text x="${MARGIN.left - 8}" y="${num(y(tick))}" dy="0.32em" text-anchor="end">${escapeHtml(tick.toLocaleString('en'))}</text></g>`,
    )
    .join('');
  const xTicks = timeTicks(start, end)
    .map(
      (tick) =>
        `<g class="x-tick"><line x1="${num(x(tick.at))}" x2="${num(x(tick.at))}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom + 5}"/>` +
        `<text x="${num(x(tick.at))}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${escapeHtml(tick.label)}</text></g>`,
    )
    .join('');
  const path = stepPath(coordinates);
  const circles = pointMarks(sorted, coordinates, options.unit, 4);
  const rows = sorted
    .map(
      (point) =>
        `<tr><td>${escapeHtml(formatUtc(point.at))}</td><td class="num">${escapeHtml(point.value.toLocaleString('en'))}</td></tr>`,
    )
    .join('');
  return `<figure class="time-chart" data-series="${series}">
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(options.label)}" preserveAspectRatio="xMidYMid meet">
<g class="grid">${grid}</g>
<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}"/>
<g class="x-axis">${xTicks}</g>
<path class="line" d="${path}"/>
<g class="points">${circles}</g>
</svg>
<figcaption>${escapeHtml(options.label)}: ${escapeHtml(spanText(sorted))} (hover a point for its value)</figcaption>
<details><summary>The ${sorted.length} ${sorted.length === 1 ? 'row' : 'rows'} as a table</summary>
<table class="history"><thead><tr><th>Observed (UTC)</th><th>${escapeHtml(options.unit)}</th></tr></thead><tbody>${rows}</tbody></table>
</details>
</figure>`;
}

/** What the x axis covers, dates included (the ticks of a short span show times only). */
function spanText(sorted: readonly TimePoint[]): string {
  if (sorted.length === 1) return `1 point, at ${formatUtc(sorted[0]!.at)}`;
  return `${sorted.length} points, from ${formatUtc(sorted[0]!.at)} to ${formatUtc(sorted.at(-1)!.at)}`;
}

const SPARK = { width: 140, height: 32, pad: 3 };

/** A small star-history line for a list row, its points with their values on hover; a dash when there is no history. */
export function renderSparkline(points: readonly TimePoint[], options: TimeChartOptions): string {
  const series = escapeHtml(options.series);
  if (points.length === 0) return `<span class="no-history muted" data-series="${series}">no history yet</span>`;
  const sorted = [...points].sort((a, b) => a.at.getTime() - b.at.getTime());
  const values = sorted.map((point) => point.value);
  const x = linearScale(sorted[0]!.at.getTime(), sorted.at(-1)!.at.getTime(), SPARK.pad, SPARK.width - SPARK.pad);
  const y = linearScale(Math.min(...values), Math.max(...values), SPARK.height - SPARK.pad, SPARK.pad);
  const coordinates = sorted.map((point) => [x(point.at.getTime()), y(point.value)] as const);
  const path = stepPath(coordinates);
  const circles = pointMarks(sorted, coordinates, options.unit, 2);
  return `<svg class="sparkline" data-series="${series}" viewBox="0 0 ${SPARK.width} ${SPARK.height}" role="img" aria-label="${escapeHtml(options.label)}"><path class="line" d="${path}"/>${circles}</svg>`;
}

type Coordinates = ReadonlyArray<readonly [number, number]>;

/** The line through the points, each value held until the next: the history records changes, not samples. */
function stepPath(coordinates: Coordinates): string {
  return coordinates
    .map(([px, py], index) => (index === 0 ? `M${num(px)} ${num(py)}` : `H${num(px)} V${num(py)}`))
    .join(' ');
}

/** One circle per history row, its time and value as its title (the hover text, without JavaScript too). */
function pointMarks(points: readonly TimePoint[], coordinates: Coordinates, unit: string, radius: number): string {
  return points
    .map((point, index) => {
      const [px, py] = coordinates[index]!;
      const text = `${formatUtc(point.at)}: ${point.value.toLocaleString('en')} ${unit}`;
      return `<circle class="point" cx="${num(px)}" cy="${num(py)}" r="${radius}" data-at="${point.at.toISOString()}" data-value="${point.value}"><title>${escapeHtml(text)}</title></circle>`;
    })
    .join('');
}

/** Coordinates to two decimals: enough for any screen, short markup. */
function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** The charts' look; a page that draws charts adds it to its styles. */
export const TIME_CHART_STYLES = `
figure.time-chart{margin:.5rem 0 1.2rem;background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:.6rem .8rem}
figure.time-chart svg{display:block;width:100%;height:auto}
figure.time-chart figcaption{font-size:.8rem;color:#6b7385;margin-top:.2rem}
.time-chart .grid line{stroke:#eef0f4}.time-chart .axis,.time-chart .x-tick line{stroke:#9aa3b5}
.time-chart text{font:11px system-ui,sans-serif;fill:#4a5366}
.time-chart path.line,.sparkline path.line{fill:none;stroke:#3554d1;stroke-width:2}
.time-chart circle.point{fill:#3554d1;stroke:#fff;stroke-width:1.5}
.time-chart circle.point:hover{r:6;fill:#1d2f8a}
svg.sparkline{width:140px;max-width:100%;height:32px;vertical-align:middle}
.sparkline path.line{stroke-width:1.5}.sparkline circle.point{fill:#3554d1}
table.history{border-collapse:collapse;margin-top:.4rem}
table.history td,table.history th{padding:.15rem .8rem .15rem 0;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.chart-tooltip{position:absolute;z-index:10;pointer-events:none;background:#1d2330;color:#fff;font-size:.8rem;padding:.25rem .55rem;border-radius:4px;white-space:nowrap}
`;
