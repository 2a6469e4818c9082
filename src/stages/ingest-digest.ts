import { createHash } from 'node:crypto';
import type pg from 'pg';
import { findLatestGoodFetch, recordFetch, type FetchOutcome, type FetchRecord } from '../db/fetches.repository.ts';
import type { UpsertCounts } from '../db/papers.repository.ts';
import { digestUrl, type DigestRef } from '../domain/digest-key.ts';
import { PARSER_VERSION, parseDailyPapersPage } from '../domain/parse-digest.ts';
import { fetchHfPage } from '../http/hf-client.ts';
import type { HttpClient } from '../http/http-client.ts';
import type { Logger } from '../logger.ts';
import { loadDigest } from './load-digest.ts';

export interface IngestDependencies {
  http: HttpClient;
  pool: pg.Pool;
  hf: { baseUrl: string; token: string | undefined };
  logger: Logger;
}

export interface IngestOptions {
  /** Fetch unconditionally and re-parse even when the bytes are unchanged. */
  force?: boolean;
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
 * fetch → parse → load for one digest.
 *
 * A conditional request (ETag / Last-Modified of the last good fetch) that
 * answers 304, or a body whose sha256 and parser version match the last good
 * fetch, skips parsing and loading: outcome `not_modified`. Otherwise the
 * papers, listings, metrics and audit row are written in one transaction.
 * A failed attempt is still recorded (outcome `failed`, with the error) and
 * the error is rethrown unchanged for the caller's retry policy.
 */
export async function ingestDigest(
  deps: IngestDependencies,
  digest: DigestRef,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const url = digestUrl(deps.hf.baseUrl, digest);
  const logger = deps.logger.child({ digest: `${digest.source}/${digest.kind}/${digest.key}` });
  const started = performance.now();
  const previous = options.force ? undefined : await findLatestGoodFetch(deps.pool, digest);
  let audit: Omit<FetchRecord, 'outcome' | 'paperCount' | 'error'> = { digest, url, httpStatus: null };
  const record = async (outcome: Exclude<FetchOutcome, 'failed' | 'loaded'>, paperCount: number) => {
    await recordFetch(deps.pool, { ...audit, outcome, paperCount, error: null, durationMs: performance.now() - started });
  };
  try {
    const page = await fetchHfPage(deps.http, url, deps.hf.token, previous ?? {});
    const { response } = page;
    const fetchedAt = new Date();
    audit = {
      ...audit,
      httpStatus: response.status,
      etag: response.headers['etag'] ?? null,
      lastModified: response.headers['last-modified'] ?? null,
    };
    const result = (outcome: IngestResult['outcome'], paperCount: number, counts = NOTHING_WRITTEN, warnings: string[] = []): IngestResult => ({
      digest, url, outcome, httpStatus: response.status, paperCount, counts, warnings,
    });

    if (page.outcome === 'redirected') {
      logger.info({ url, status: response.status, location: page.location }, 'no list for this digest (redirected): recorded as empty');
      await record('empty', 0);
      return result('empty', 0);
    }
    if (page.outcome === 'not_modified') {
      audit = { ...audit, etag: audit.etag ?? previous?.etag, lastModified: audit.lastModified ?? previous?.lastModified, contentSha256: previous?.contentSha256, parserVersion: previous?.parserVersion };
      logger.info({ url }, '304 not modified: nothing to load');
      await record('not_modified', previous?.paperCount ?? 0);
      return result('not_modified', previous?.paperCount ?? 0);
    }

    const contentSha256 = createHash('sha256').update(response.body).digest('hex');
    audit = { ...audit, contentSha256, parserVersion: PARSER_VERSION };
    if (previous?.contentSha256 === contentSha256 && previous.parserVersion === PARSER_VERSION) {
      logger.info({ url, contentSha256 }, 'same bytes as the last fetch: nothing to load');
      await record('not_modified', previous.paperCount);
      return result('not_modified', previous.paperCount);
    }

    const parsed = parseDailyPapersPage(response.body.toString('utf8'), { url });
    for (const warning of parsed.warnings) logger.warn({ url }, warning);
    const loaded = await loadDigest(deps.pool, {
      digest,
      listed: parsed.papers,
      observedAt: fetchedAt,
      fetch: { ...audit, error: null, warnings: parsed.warnings, durationMs: performance.now() - started },
    });
    const outcome = parsed.papers.length === 0 ? 'empty' : 'loaded';
    logger.info(
      { url, outcome, papers: parsed.papers.length, ...loaded.counts, metrics: loaded.metricsAppended },
      `${outcome} ${parsed.papers.length} papers`,
    );
    return result(outcome, parsed.papers.length, loaded.counts, parsed.warnings);
  } catch (error) {
    await recordFetch(deps.pool, {
      ...audit,
      outcome: 'failed',
      paperCount: 0,
      error: (error as Error).message,
      durationMs: performance.now() - started,
    }).catch((auditError: Error) => logger.error({ err: auditError }, 'could not record the failed fetch'));
    throw error;
  }
}
