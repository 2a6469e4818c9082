import type { Command } from 'commander';
import { dateRangeProblem } from '../domain/input-rules.ts';
import { cliName, PAGE_LIMITS, pagingParameters, type QueryParameter } from '../domain/paper-query.ts';
import { UsageError } from '../errors.ts';
import { checkedOption } from './checked-option.ts';

/**
 * Command-line options derived from the query definitions of
 * src/domain/paper-query.ts: the same names (dashed), descriptions and
 * value rules as the JSON API and the feeds. A yes/no filter is a flag
 * (`--has-code`, or `--has-code false`).
 */
export function addQueryOptions(command: Command, definitions: readonly QueryParameter[]): Command {
  for (const definition of [...definitions, ...pagingParameters('cli')]) {
    const long = cliName(definition);
    const read = (text: string) => {
      const parsed = definition.schema.safeParse(text);
      if (!parsed.success) throw new RangeError(parsed.error.issues.map((issue) => issue.message).join('; '));
      return parsed.data;
    };
    const option = checkedOption(
      definition.flag ? `${long} [true|false]` : `${long} <${definition.name === 'q' ? 'text' : 'value'}>`,
      definition.description,
      read,
    );
    if (definition.flag) option.preset('true');
    command.addOption(option);
  }
  return command;
}

/**
 * The values of those options, keyed by the definitions' names (what the
 * repository takes), with the checks that span options (a range in order).
 */
export function queryValuesOf<T extends object>(
  command: Command,
  definitions: readonly QueryParameter[],
): T & { limit: number; cursor?: string } {
  const options = command.opts<Record<string, unknown>>();
  const values: Record<string, unknown> = {};
  for (const definition of [...definitions, ...pagingParameters('cli')]) {
    const attribute = cliName(definition)
      .slice(2)
      .replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (options[attribute] !== undefined) values[definition.name] = options[attribute];
  }
  const unordered = dateRangeProblem(values, '--');
  if (unordered) throw new UsageError(unordered);
  return { limit: PAGE_LIMITS.cli.default, ...values } as T & { limit: number; cursor?: string };
}
