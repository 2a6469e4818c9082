import type { Job } from 'bullmq';
import type { Logger } from '../src/logger.ts';
import { enrichReposPayload } from '../src/queue/contracts.ts';
import type { JobContext } from '../src/queue/job-context.ts';
import { enrichRepos } from '../src/stages/enrich-repos.ts';

/** enrich-repos {refs} | {stale: true}: resolve repositories through the GitHub API. */
export async function enrichReposJob(job: Job, context: JobContext, log: Logger) {
  const payload = enrichReposPayload.parse(job.data);
  const summary = await enrichRepos(
    { http: context.http, pool: context.pool, github: context.config.github, logger: log },
    'refs' in payload ? { refs: payload.refs, skipCheckedWithinMs: 3_600_000 } : {},
  );
  return summary;
}
