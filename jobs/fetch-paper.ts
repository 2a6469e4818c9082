import type { Job } from 'bullmq';
import { digestRef } from '../src/domain/digest-key.ts';
import type { Logger } from '../src/logger.ts';
import { fetchPaperPayload } from '../src/queue/contracts.ts';
import type { JobContext } from '../src/queue/job-context.ts';
import { ingestForJob } from './fetch-digest.ts';

/** fetch-paper {source, id, force, via}: one paper's own page through fetch → parse → load. */
export async function fetchPaperJob(job: Job, context: JobContext, log: Logger) {
  const payload = fetchPaperPayload.parse(job.data);
  const options = { force: payload.force, via: payload.via };
  const result = await ingestForJob(job, context, log, digestRef('paper', payload.id), options);
  return { outcome: result.outcome, ...result.counts, warnings: result.warnings };
}
