import { Option } from 'commander';
import { UsageError } from '../errors.ts';

/**
 * An option whose value is parsed when given. A value the parser refuses is
 * a UsageError naming the option: one line and exit 2, as for every other
 * wrong command, rather than commander's error followed by the whole help.
 */
export function checkedOption<T>(flags: string, description: string, parse: (value: string) => T): Option {
  const option = new Option(flags, description);
  return option.argParser((value: string) => {
    try {
      return parse(value);
    } catch (error) {
      throw new UsageError(`${option.long}: ${(error as Error).message}`);
    }
  });
}
