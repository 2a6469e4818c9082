import type { Job } from 'bullmq';
import { digestRef } from '../src/domain/digest-key.ts';
import type { Logger } from '../src/logger.ts';
import { fetchPaperPayload } from '../src/queue/contracts.ts';
import { enqueueEnrichment } from '../src/queue/enqueue.ts';
import type { JobContext } from '../src/queue/job-context.ts';
import { ingestDigest } from '../src/stages/ingest-digest.ts';

/** fetch-paper {source, id, force, via}: one paper's own page through fetch → parse → load. */
export async function fetchPaperJob(job: Job, context: JobContext, log: Logger) {
  const payload = fetchPaperPayload.parse(job.data);
  const result = await ingestDigest(
    { http: context.http, pool: context.pool, hf: context.config.hf, budget: context.budget, logger: log },
    digestRef('paper', payload.id),
    { force: payload.force, via: payload.via },
  );
  for (const warning of result.warnings) await job.log(`warning: ${warning}`);
  await enqueueEnrichment(context.repos, result.repoRefs);
  return { outcome: result.outcome, ...result.counts, warnings: result.warnings.length };
}
