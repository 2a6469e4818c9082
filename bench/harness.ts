import { writeFile } from 'node:fs/promises';
import type pg from 'pg';
import os from 'node:os';

/**
 * A tiny benchmark harness: every headline figure is measured next to a
 * baseline in the same run and reported as a ratio, because absolute numbers
 * on a shared 2-core machine are noise.
 */

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The same-run baseline's value, in the same unit (null when the figure is absolute by nature). */
  baseline: number | null;
  /** value / baseline when higher is better; baseline / value when lower is better (so > 1 is always "better than baseline"). */
  ratio: number | null;
  /** What the target is, in words, e.g. ">= 0.8x COPY". */
  target: string;
  met: boolean | null;
  note?: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `fn` and returns its wall time in milliseconds. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    `${round(f.value)} ${f.unit}`,
    f.baseline === null ? '-' : `${round(f.baseline)} ${f.unit}`,
    f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
    f.target,
    f.met === null ? '-' : f.met ? 'yes' : 'NO',
  ]);
  const header = ['benchmark', 'value', 'baseline', 'ratio', 'target', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatMarkdown(figures: readonly Figure[], machine: Record<string, string>): string {
  const lines = [
    '# Benchmark results',
    '',
    'Produced by `npm run bench`. Every figure is measured next to a baseline in the same run;',
    'the ratio is the comparison that matters (absolute numbers vary with the machine).',
    '',
    '## Machine',
    '',
    ...Object.entries(machine).map(([key, value]) => `- ${key}: ${value}`),
    '',
    '## Figures',
    '',
    '| benchmark | value | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.name} | ${round(f.value)} ${f.unit} | ${f.baseline === null ? '-' : `${round(f.baseline)} ${f.unit}`} | ` +
        `${f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`} | ${f.target} | ${f.met === null ? '-' : f.met ? 'yes' : '**no**'} |`,
    ),
    '',
    ...figures.filter((f) => f.note).map((f) => `- ${f.name}: ${f.note}`),
    '',
  ];
  return lines.join('\n');
}

export async function writeResults(figures: readonly Figure[], machine: Record<string, string>, dir: string) {
  await writeFile(`${dir}/results.json`, `${JSON.stringify(figures, null, 2)}\n`);
  await writeFile(`${dir}/RESULTS.md`, formatMarkdown(figures, machine));
}

export function machineFacts(extra: Record<string, string>): Record<string, string> {
  return {
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    ...extra,
  };
}

function round(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** Empties every table a benchmark fills, so each round starts from the same database. */
export async function emptyDatabase(pool: pg.Pool): Promise<void> {
  await pool.query(
    'truncate papers, listings, paper_metrics, digest_fetches, page_bodies, repos, repo_refs, paper_repos, repo_snapshots cascade',
  );
}

/** `samples` timings (ms) of `run` after a warm-up of 5 runs; `run` gets the sample's index. */
export async function sampleTimes(samples: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 5; i += 1) await run(i);
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const start = performance.now();
    await run(i);
    times.push(performance.now() - start);
  }
  return times;
}

/** The value at quantile `q` (0 to 1) of `values`, nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * A latency's median and p95 as figures, each against the baseline's same
 * quantile measured in the same run (lower is better: ratio = baseline /
 * value); the median is held to `targetMs`.
 */
export function latencyFigures(
  name: string,
  times: readonly number[],
  baseline: readonly number[],
  options: { targetMs: number; note: string },
): Figure[] {
  return (['median', 'p95'] as const).map((quantile) => {
    const pick = (values: readonly number[]) => (quantile === 'median' ? median(values) : percentile(values, 0.95));
    const [value, base] = [pick(times), pick(baseline)];
    return {
      name: `${name}, ${quantile}`,
      value,
      unit: 'ms',
      baseline: base,
      ratio: base / value,
      target: quantile === 'median' ? `< ${options.targetMs} ms` : '-',
      met: quantile === 'median' ? value < options.targetMs : null,
      note: quantile === 'median' ? options.note : undefined,
    };
  });
}
