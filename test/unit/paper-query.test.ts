import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addQueryOptions } from '../../src/cli/query-options.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';
import {
  cliName,
  PAPER_FILTERS,
  PAPER_QUERY,
  pagingParameters,
  parseQuery,
  QueryParameterError,
  REPO_FILTERS,
  sinceDate,
} from '../../src/domain/paper-query.ts';

const read = (query: string, surface: 'api' | 'feed' | 'cli' = 'api') =>
  parseQuery(PAPER_FILTERS, surface, new URLSearchParams(query));

describe('the one definition of the query parameters', () => {
  it('reads every filter from its text, and gives limit the surface default', () => {
    expect(
      read(
        'day=2024-08-01&min_upvotes=20&has_code=true&has_model=false&language=Python&q=llama&saved_search=agents&until=2024-08-31',
      ),
    ).toEqual({
      day: '2024-08-01',
      min_upvotes: 20,
      has_code: true,
      has_model: false,
      language: 'Python',
      q: 'llama',
      saved_search: 'agents',
      until: '2024-08-31',
      limit: 20,
    });
    expect(read('', 'feed')).toEqual({ limit: 50 });
    expect(read('limit=100', 'feed').limit).toBe(100);
  });

  it('takes a date or a duration for since, as the CLI always did', () => {
    const now = new Date('2026-11-29T10:00:00Z');
    expect(sinceDate('7d', now)).toBe('2026-11-22');
    expect(sinceDate('24h', now)).toBe('2026-11-28');
    expect(sinceDate('2024-08-01', now)).toBe('2024-08-01');
    expect(read('since=2024-08-01').since).toBe('2024-08-01');
    expect(() => sinceDate('3651d', now)).toThrow(/more than 3650 days/);
  });

  it.each([
    ['nope=1', /Unrecognized key: "nope"/],
    ['__proto__=1', /Unrecognized key: "__proto__"/],
    ['day=2024-08-01&day=2024-08-02', /^day: given more than once$/],
    ['min_upvotes=1e1', /^min_upvotes: must be a whole number/],
    ['has_code=yes', /^has_code: /],
    ['since=2024-09-01&until=2024-08-01', /^until: 2024-08-01 is before since \(2024-09-01\)$/],
    ['limit=101', /^limit: must be at most 100$/],
    ['cursor=x', null],
    ['q=', /^q: /],
    ['language=a%00b', /^language: must not contain NUL/],
  ])('%s', (query, problem) => {
    if (problem === null) {
      expect(read(query).cursor).toBe('x');
      expect(() => read(query, 'feed')).toThrow(/Unrecognized key: "cursor"/);
      return;
    }
    expect(() => read(query)).toThrow(QueryParameterError);
    expect(() => read(query)).toThrow(problem);
  });

  it('derives one command-line option per definition, with the same names, descriptions and rules', () => {
    const command = addQueryOptions(new Command('papers').exitOverride(), PAPER_FILTERS);
    const longs = command.options.map((option) => option.long);
    for (const definition of [...PAPER_FILTERS, ...pagingParameters('cli')]) {
      expect(longs).toContain(cliName(definition));
      const option = command.options.find((candidate) => candidate.long === cliName(definition))!;
      expect(option.description).toBe(definition.description);
    }
    expect(cliName(PAPER_FILTERS.find((definition) => definition.name === 'q')!)).toBe('--text');
    command.parse(['--min-upvotes', '20', '--has-code', '--has-model', 'false', '--since', '2024-08-01'], {
      from: 'user',
    });
    expect(command.opts()).toMatchObject({ minUpvotes: 20, hasCode: true, hasModel: false, since: '2024-08-01' });
    const repos = addQueryOptions(new Command('repos'), REPO_FILTERS);
    expect(repos.options.map((option) => option.long)).toEqual([
      '--language',
      '--rising',
      '--window',
      '--limit',
      '--cursor',
    ]);
  });

  it("the README's table of filters names every one, with its CLI option (the rest is --help and the OpenAPI document)", () => {
    const readme = readFileSync(`${PROJECT_ROOT}/README.md`, 'utf8');
    const table = readme.slice(
      readme.indexOf('| filter | CLI | meaning |'),
      readme.indexOf('Repositories: `language`'),
    );
    for (const definition of PAPER_QUERY) {
      expect(table).toContain(`\`${definition.name}\``);
      expect(table).toContain(`\`${cliName(definition)}`);
    }
  });
});
