import type pg from 'pg';
import { withTransaction } from '../db/pool.ts';
import { recordFetch, type FetchOutcome } from '../db/fetches.repository.ts';
import { upsertPapers, type UpsertCounts } from '../db/papers.repository.ts';
import { digestUrl, type DigestRef } from '../domain/digest-key.ts';
import { parseDailyPapersPage } from '../domain/parse-digest.ts';
import { fetchHfPage } from '../http/hf-client.ts';
import type { HttpClient } from '../http/http-client.ts';
import type { Logger } from '../logger.ts';

export interface IngestDependencies {
  http: HttpClient;
  pool: pg.Pool;
  hf: { baseUrl: string; token: string | undefined };
  logger: Logger;
}

export interface IngestResult {
  digest: DigestRef;
  url: string;
  outcome: Exclude<FetchOutcome, 'failed'>;
  httpStatus: number;
  paperCount: number;
  counts: UpsertCounts;
  warnings: string[];
}

const NOTHING_WRITTEN: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };

/**
 * fetch → parse → load for one digest. The papers and the audit row are
 * written in one transaction, so a failure leaves the database as it was.
 * A failed attempt is still recorded (outcome `failed`, with the error) and
 * the error is rethrown unchanged for the caller's retry policy.
 */
export async function ingestDigest(deps: IngestDependencies, digest: DigestRef): Promise<IngestResult> {
  const url = digestUrl(deps.hf.baseUrl, digest);
  const logger = deps.logger.child({ digest: `${digest.source}/${digest.kind}/${digest.key}` });
  let httpStatus: number | null = null;
  try {
    const page = await fetchHfPage(deps.http, url, deps.hf.token);
    httpStatus = page.response.status;
    if (page.outcome === 'redirected') {
      logger.info({ url, status: httpStatus, location: page.location }, 'no list for this digest (redirected): recorded as empty');
      await recordFetch(deps.pool, { digest, url, httpStatus, outcome: 'empty', paperCount: 0, error: null });
      return { digest, url, outcome: 'empty', httpStatus, paperCount: 0, counts: NOTHING_WRITTEN, warnings: [] };
    }
    const parsed = parseDailyPapersPage(page.response.body.toString('utf8'), { url });
    for (const warning of parsed.warnings) logger.warn({ url }, warning);
    const outcome = parsed.papers.length === 0 ? 'empty' : 'loaded';
    const status = httpStatus;
    const counts = await withTransaction(deps.pool, async (tx) => {
      const written = await upsertPapers(tx, parsed.papers.map((listed) => listed.paper));
      await recordFetch(tx, { digest, url, httpStatus: status, outcome, paperCount: parsed.papers.length, error: null });
      return written;
    });
    logger.info({ url, outcome, papers: parsed.papers.length, ...counts }, `${outcome} ${parsed.papers.length} papers`);
    return { digest, url, outcome, httpStatus, paperCount: parsed.papers.length, counts, warnings: parsed.warnings };
  } catch (error) {
    await recordFetch(deps.pool, {
      digest,
      url,
      httpStatus,
      outcome: 'failed',
      paperCount: 0,
      error: (error as Error).message,
    }).catch((auditError: Error) => logger.error({ err: auditError }, 'could not record the failed fetch'));
    throw error;
  }
}
