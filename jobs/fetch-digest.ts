import type { Job } from 'bullmq';
import type { DigestRef } from '../src/domain/digest-key.ts';
import type { Logger } from '../src/logger.ts';
import { fetchDigestPayload } from '../src/queue/contracts.ts';
import { enqueueEnrichment } from '../src/queue/enqueue.ts';
import type { JobContext } from '../src/queue/job-context.ts';
import { ingestDigest, type IngestOptions, type IngestResult } from '../src/stages/ingest-digest.ts';

/**
 * What fetch-digest and fetch-paper both do: the digest through fetch → parse
 * → load with the worker's shared resources, its warnings on the job, and the
 * repositories it found handed to enrichment.
 */
export async function ingestForJob(
  job: Job,
  context: JobContext,
  log: Logger,
  digest: DigestRef,
  options: IngestOptions,
): Promise<IngestResult> {
  const result = await ingestDigest(
    { http: context.http, pool: context.pool, hf: context.config.hf, budget: context.budget, logger: log },
    digest,
    options,
  );
  for (const warning of result.warnings) await job.log(`warning: ${warning}`);
  // The follow-up: enrichment has its own queue, budget and rate limits, so a GitHub pause never holds up digest loads.
  await enqueueEnrichment(context.repos, result.repoRefs);
  return result;
}

/** fetch-digest {source, kind, key, force, via}: one digest through fetch → parse → load. */
export async function fetchDigestJob(job: Job, context: JobContext, log: Logger) {
  const payload = fetchDigestPayload.parse(job.data);
  const digest = { source: payload.source, kind: payload.kind, key: payload.key };
  const result = await ingestForJob(job, context, log, digest, { force: payload.force, via: payload.via });
  const ms = (value: number) => Math.round(value);
  return {
    outcome: result.outcome,
    papers: result.paperCount,
    ...result.counts,
    // The texts, not a count: the job's one log line and Bull Board show them.
    warnings: result.warnings,
    repoRefs: result.repoRefs.length,
    ms: { fetch: ms(result.timings.fetchMs), parse: ms(result.timings.parseMs), load: ms(result.timings.loadMs) },
  };
}
