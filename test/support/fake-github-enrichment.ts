import type pg from 'pg';
import { createLogger } from '../../src/logger.ts';
import { enrichRepos, type EnrichSummary } from '../../src/stages/enrich-repos.ts';
import type { FakeGithub } from './fake-github.ts';
import { clientFor } from './upstream-server.ts';

const logger = createLogger({ level: 'silent', pretty: false });

/**
 * One run of the real repository enrichment against the local GitHub
 * stand-in, with a test token: how tests fill repos and repo_snapshots from
 * the captures. The HTTP client is opened for the run and closed after it.
 */
export async function enrichFromFakeGithub(
  pool: pg.Pool,
  github: FakeGithub,
  options: Parameters<typeof enrichRepos>[1] = {},
): Promise<EnrichSummary> {
  const http = clientFor(github);
  try {
    return await enrichRepos({ http, pool, github: { apiUrl: github.baseUrl, token: 'ghp_test' }, logger }, options);
  } finally {
    await http.close();
  }
}
