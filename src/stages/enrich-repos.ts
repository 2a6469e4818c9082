import type pg from 'pg';
import {
  findRefsToCheck,
  markRefError,
  markRefNotFound,
  saveResolvedRepo,
  markRefChecked,
  type DueRef,
} from '../db/repos.repository.ts';
import { recordUpstreamLimit } from '../db/limits.repository.ts';
import { PermanentError, RateLimitedError } from '../errors.ts';
import type { UpstreamLimit } from '../domain/upstream-limit.ts';
import { getRepoRest, getReposGraphql, GRAPHQL_BATCH, type GithubTarget } from '../http/github-client.ts';
import type { HttpClient } from '../http/http-client.ts';
import type { Logger } from '../logger.ts';

export interface EnrichDependencies {
  http: HttpClient;
  pool: pg.Pool;
  github: GithubTarget;
  logger: Logger;
}

export interface EnrichSummary {
  checked: number;
  resolved: number;
  changed: number;
  notModified: number;
  notFound: number;
  /** References GitHub refused for good (kept with their error, tried again later). */
  failed: number;
  requests: number;
}

/** REST mode: at most this many requests at once (GitHub's secondary limits punish bursts). */
const REST_CONCURRENCY = 3;

/**
 * Resolves references through the GitHub API: the given ones (minus those
 * checked within `skipCheckedWithinMs`, so a retried job does not spend the
 * budget twice), the pending ones (never resolved), or every one whose next
 * check is due. With GITHUB_TOKEN, 100 per GraphQL query;
 * without, one conditional REST request each. A rate limit stops the run by
 * throwing RateLimitedError (the job runner pauses the queue); what was
 * stored before it stays stored.
 */
export async function enrichRepos(
  deps: EnrichDependencies,
  options: { refs?: readonly string[]; pendingOnly?: boolean; skipCheckedWithinMs?: number; limit?: number } = {},
): Promise<EnrichSummary> {
  const due = await findRefsToCheck(deps.pool, { ...options, limit: options.limit ?? 5_000 });
  const summary: EnrichSummary = {
    checked: 0,
    resolved: 0,
    changed: 0,
    notModified: 0,
    notFound: 0,
    failed: 0,
    requests: 0,
  };
  if (deps.github.token) {
    for (let start = 0; start < due.length; start += GRAPHQL_BATCH) {
      const batch = due.slice(start, start + GRAPHQL_BATCH);
      const { repos } = await withLimitRecorded(deps, 'graphql', () =>
        getReposGraphql(
          deps.http,
          deps.github,
          batch.map((ref) => ref.display),
        ),
      );
      summary.requests += 1;
      const observedAt = new Date();
      for (const [index, ref] of batch.entries()) {
        const repo = repos[index];
        if (repo) {
          const changed = await saveResolvedRepo(deps.pool, ref.ref, repo, null, observedAt);
          count(summary, changed ? 'changed' : 'resolved');
        } else {
          await markRefNotFound(deps.pool, ref.ref, ref.repoId, observedAt);
          count(summary, 'notFound');
        }
      }
    }
  } else {
    const queue = [...due];
    const workers = Array.from({ length: Math.min(REST_CONCURRENCY, queue.length) }, async () => {
      for (let ref = queue.shift(); ref; ref = queue.shift()) await checkOneRest(deps, ref, summary);
    });
    await Promise.all(workers);
  }
  deps.logger.debug({ ...summary }, `checked ${summary.checked} repository references`);
  return summary;
}

async function checkOneRest(deps: EnrichDependencies, ref: DueRef, summary: EnrichSummary): Promise<void> {
  let result: Awaited<ReturnType<typeof getRepoRest>>;
  try {
    result = await withLimitRecorded(deps, 'core', () => getRepoRest(deps.http, deps.github, ref.display, ref.etag));
  } catch (error) {
    // One reference GitHub will not answer for must not stop the others; limits and outages must.
    if (!(error instanceof PermanentError)) throw error;
    summary.requests += 1;
    count(summary, 'failed');
    await markRefError(deps.pool, ref.ref, error.message, new Date());
    deps.logger.warn({ ref: ref.ref, err: error.message }, 'repository reference refused by GitHub');
    return;
  }
  summary.requests += 1;
  const observedAt = new Date();
  if (result.kind === 'found') {
    const changed = await saveResolvedRepo(deps.pool, ref.ref, result.repo, result.etag, observedAt);
    count(summary, changed ? 'changed' : 'resolved');
  } else if (result.kind === 'not_modified' && ref.repoId !== null) {
    await markRefChecked(deps.pool, ref.ref, ref.repoId, observedAt);
    count(summary, 'notModified');
  } else {
    await markRefNotFound(deps.pool, ref.ref, ref.repoId, observedAt);
    count(summary, 'notFound');
  }
}

/**
 * Records the rate-limit budget GitHub reported with the answer; a refusal for
 * rate limits is the budget hitting zero: recorded too, then let through.
 */
async function withLimitRecorded<T extends { limit?: UpstreamLimit | undefined }>(
  deps: EnrichDependencies,
  resource: 'core' | 'graphql',
  request: () => Promise<T>,
): Promise<T> {
  try {
    const result = await request();
    if (result.limit) await recordUpstreamLimit(deps.pool, result.limit);
    return result;
  } catch (error) {
    if (error instanceof RateLimitedError) {
      await recordUpstreamLimit(deps.pool, {
        upstream: 'github',
        resource,
        remaining: 0,
        resetAt: new Date(Date.now() + error.retryAfterMs),
      });
    }
    throw error;
  }
}

function count(summary: EnrichSummary, outcome: 'resolved' | 'changed' | 'notModified' | 'notFound' | 'failed') {
  summary.checked += 1;
  if (outcome === 'changed') {
    summary.changed += 1;
    summary.resolved += 1;
  } else {
    summary[outcome] += 1;
  }
}
