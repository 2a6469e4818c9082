import { readFileSync } from 'node:fs';

/** Words of PromQL that look like metric names but are not: operators, modifiers, grouping. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

/**
 * The metric names a PromQL expression reads. A small tokenizer, enough for
 * the expressions we ship (not a parser): strings, label matchers, ranges,
 * grouping label lists and Grafana's `$variables` are dropped first; what is
 * left are metric names, function names (followed by `(`), keywords and numbers.
 */
export function metricNamesOf(expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  // The lookbehind keeps the unit of a duration (the h of `offset 1h`) or an exponent out.
  for (const match of stripped.matchAll(/(?<![\w:.])[a-zA-Z_:][\w:]*/g)) {
    const name = match[0];
    const isCall = /^\s*\(/.test(stripped.slice(match.index + name.length));
    if (!isCall && !KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return names;
}

/**
 * The `expr:` of every rule in a Prometheus rules file, one-line or block
 * scalar (`|-`). Reads our own files' shape, not any YAML.
 */
export function ruleExpressionsIn(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const exprs: string[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!match) return;
    const [, indent = '', value = ''] = match;
    if (!/^[|>][-+]?$/.test(value)) return void exprs.push(value);
    const block: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= indent.length) break;
      block.push(next.trim());
    }
    exprs.push(block.join('\n'));
  });
  return exprs;
}

interface GrafanaPanel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: GrafanaPanel[];
}

/** Every panel of a Grafana dashboard, rows' nested panels included. */
export function panelsOf(dashboard: { panels?: GrafanaPanel[] }): GrafanaPanel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...panelsOf(panel)]);
}

/** The metric names exported in a Prometheus text exposition (`# TYPE` lines: a gauge with no series yet counts). */
export function exportedMetricNames(exposition: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) names.set(match[1]!, match[2]!);
  return names;
}
