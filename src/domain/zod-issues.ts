import type { ZodError } from 'zod';

export interface IssueFormat {
  /** Put before every path, to name the fields the way the caller's user wrote them (`--` on the command line). */
  prefix?: string;
  /** Stands for the empty path (an issue with the whole input), e.g. `query` or `(root)`; by default nothing. */
  rootName?: string;
}

/** Each issue as `path: message`, the path dotted: one line per problem, for a list of them. */
export function listIssues(error: ZodError, { prefix = '', rootName = '' }: IssueFormat = {}): string[] {
  return error.issues.map((issue) => `${prefix}${issue.path.join('.') || rootName}: ${issue.message}`);
}

/**
 * The issues as one line, `; `-separated; with `max`, only the first `max`
 * and then ` (+N more)`, so a payload failing everywhere stays readable.
 */
export function describeIssues(error: ZodError, { max, ...format }: IssueFormat & { max?: number } = {}): string {
  const lines = listIssues(error, format);
  if (max === undefined || lines.length <= max) return lines.join('; ');
  return `${lines.slice(0, max).join('; ')} (+${lines.length - max} more)`;
}
