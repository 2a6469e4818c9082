import { fetchDigestJob } from '../../jobs/fetch-digest.ts';
import { fetchPaperJob } from '../../jobs/fetch-paper.ts';
import { planScheduleJob } from '../../jobs/plan-schedule.ts';
import { JOBS, QUEUES } from '../queue/contracts.ts';
import type { Upstream } from './upstream.ts';

/**
 * The digest queues are paced by the request budget, not by BullMQ's
 * limiter; a limiter is set only because BullMQ honours `queue.rateLimit`
 * (how a bucket's pause stops its queue on every worker) on queues that
 * have one. Its own bound is far above any budget.
 */
const PAUSABLE = { max: 1_000, duration: 1_000 };

/**
 * Hugging Face's papers pages and JSON API (`HF_BASE_URL`). Two budgets,
 * `pages` and `api`, as Hugging Face counts them, and one queue per budget,
 * so that a pause of one never holds back the other. Fetching is
 * http/hf-client.ts and http/hf-api-client.ts; parsing domain/parse-digest.ts;
 * the stage stages/ingest-digest.ts.
 */
export const huggingFace: Upstream = {
  id: 'hf',
  name: 'Hugging Face',
  origins: (config) => [config.hf.baseUrl],
  queues: [
    {
      name: QUEUES.digests,
      description:
        'Hugging Face HTML page fetches (fetch-digest, fetch-paper; the pages budget) and schedule plans (plan-schedule)',
      handlers: {
        [JOBS.fetchDigest]: fetchDigestJob,
        [JOBS.fetchPaper]: fetchPaperJob,
        [JOBS.planSchedule]: planScheduleJob,
      },
      concurrency: (config) => config.service.concurrency,
      limiter: PAUSABLE,
    },
    {
      name: QUEUES.digestsApi,
      description:
        'Hugging Face JSON API fetches (fetch-digest, fetch-paper --via api; the API budget): backfills by default',
      handlers: { [JOBS.fetchDigest]: fetchDigestJob, [JOBS.fetchPaper]: fetchPaperJob },
      concurrency: (config) => config.service.concurrency,
      limiter: PAUSABLE,
    },
  ],
};
