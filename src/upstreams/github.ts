import { enrichReposJob } from '../../jobs/enrich-repos.ts';
import { JOBS, QUEUES } from '../queue/contracts.ts';
import type { Upstream } from './upstream.ts';

/** Enrichment jobs started per minute across all workers; GitHub's own headers are the real brake. */
const GITHUB_JOBS_PER_MINUTE = 30;

/**
 * GitHub's API (`GITHUB_API_URL`): repository metadata for the papers' code
 * links. Its budget is GitHub's own, read from its rate-limit headers (see
 * http/github-client.ts); a refusal pauses the `repos` queue only.
 */
export const github: Upstream = {
  id: 'github',
  name: 'GitHub',
  origins: (config) => [config.github.apiUrl],
  queues: [
    {
      name: QUEUES.repos,
      description: 'GitHub repository enrichment (enrich-repos)',
      handlers: { [JOBS.enrichRepos]: enrichReposJob },
      // One enrichment at a time: GitHub's secondary limits punish concurrency, and its
      // rate-limit headers pause the queue anyway.
      concurrency: () => 1,
      limiter: { max: GITHUB_JOBS_PER_MINUTE, duration: 60_000 },
    },
  ],
};
