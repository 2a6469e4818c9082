import type { Queue } from 'bullmq';
import type { DigestRef } from '../domain/digest-key.ts';
import { digestJobId, JOBS, type FetchDigestPayload } from './contracts.ts';

/**
 * Adds one fetch-digest job per digest. The digest's id is the deduplication
 * id: while a fetch of that digest is waiting, delayed or running, adding it
 * again is a no-op, so overlapping schedules never fetch the same page twice
 * at once. (A plain jobId would also block re-fetching for as long as the
 * finished job is retained; backfill children do use jobIds, and are removed
 * when they finish: see backfill-flow.ts.) `add`, not `addBulk`:
 * deduplication is evaluated per add.
 */
export async function enqueueDigestFetches(queue: Queue, refs: readonly DigestRef[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) {
    const payload: FetchDigestPayload = { source: ref.source, kind: ref.kind, key: ref.key, force: false };
    const id = digestJobId(ref);
    await queue.add(JOBS.fetchDigest, payload, { deduplication: { id } });
    ids.push(id);
  }
  return ids;
}
