import type { Queue } from 'bullmq';
import { transportFor, type DigestRef, type Transport } from '../domain/digest-key.ts';
import {
  digestJobId,
  JOBS,
  QUEUES,
  type EnrichReposPayload,
  type FetchDigestPayload,
  type FetchPaperPayload,
  type PaperboyQueues,
} from './contracts.ts';

/** The queue a fetch by this transport runs on: each Hugging Face budget bucket has its own. */
export function digestQueue(queues: Pick<PaperboyQueues, 'digests' | 'digestsApi'>, transport: Transport): Queue {
  return transport === 'api' ? queues.digestsApi : queues.digests;
}

/** The name of that queue: where a fetch job is found (Bull Board's links). */
export function digestQueueName(transport: Transport): string {
  return transport === 'api' ? QUEUES.digestsApi : QUEUES.digests;
}

/** The job that fetches a digest: fetch-paper for a paper's own page, fetch-digest for a list. */
export function fetchJobFor(ref: DigestRef, via: Transport, force = false): { name: string; data: object } {
  if (ref.kind === 'paper') {
    const data: FetchPaperPayload = { source: ref.source, id: ref.key, force, via };
    return { name: JOBS.fetchPaper, data };
  }
  const data: FetchDigestPayload = { source: ref.source, kind: ref.kind, key: ref.key, force, via };
  return { name: JOBS.fetchDigest, data };
}

/**
 * Adds one fetch job per digest (fetchJobFor), on the queue of its transport (the
 * configured one for day/week/month, HTML for the rest). The digest's id is the deduplication
 * id: while a fetch of that digest is waiting, delayed or running, adding it
 * again is a no-op, so overlapping schedules never fetch the same page twice
 * at once. (A plain jobId would also block re-fetching for as long as the
 * finished job is retained; backfill children do use jobIds, and are removed
 * when they finish: see backfill-flow.ts.) `add`, not `addBulk`:
 * deduplication is evaluated per add.
 */
export async function enqueueDigestFetches(
  queues: Pick<PaperboyQueues, 'digests' | 'digestsApi'>,
  refs: readonly DigestRef[],
  configuredTransport: Transport,
): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) {
    const via = transportFor(ref.kind, configuredTransport);
    const job = fetchJobFor(ref, via);
    const id = digestJobId(ref);
    await digestQueue(queues, via).add(job.name, job.data, { deduplication: { id } });
    ids.push(id);
  }
  return ids;
}

/** One enrich-repos job for the repository references a load found (none: nothing). */
export async function enqueueEnrichment(repos: Queue, refs: readonly string[]): Promise<void> {
  if (refs.length === 0) return;
  const payload: EnrichReposPayload = { refs: [...refs] };
  await repos.add(JOBS.enrichRepos, payload);
}
