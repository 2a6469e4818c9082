import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  findLatestGoodFetch,
  recordFetch,
  type FetchOutcome,
  type FetchRecord,
  type PreviousFetch,
} from '../db/fetches.repository.ts';
import type { UpsertCounts } from '../db/papers.repository.ts';
import { digestUrl, type DigestRef } from '../domain/digest-key.ts';
import { PARSER_VERSION, parseDailyPapersPage } from '../domain/parse-digest.ts';
import { fetchHfPage } from '../http/hf-client.ts';
import type { HttpClient, HttpResponse } from '../http/http-client.ts';
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

/** The audit fields known once a response arrived. */
type ResponseAudit = Pick<FetchRecord, 'digest' | 'url' | 'httpStatus' | 'etag' | 'lastModified' | 'contentSha256' | 'parserVersion'>;

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
  const elapsed = () => performance.now() - started;
  let httpStatus: number | null = null;
  try {
    const previous = options.force ? undefined : await findLatestGoodFetch(deps.pool, digest);
    const page = await fetchHfPage(deps.http, url, deps.hf.token, previous ?? {});
    httpStatus = page.response.status;
    const fetchedAt = new Date();
    const audit = auditOf(digest, url, page.response);

    const recordWithoutLoading = async (outcome: 'empty' | 'not_modified', paperCount: number, extra: Partial<FetchRecord> = {}) => {
      await recordFetch(deps.pool, { ...audit, ...extra, outcome, paperCount, error: null, durationMs: elapsed(), fetchedAt });
      return resultOf(digest, url, page.response.status, outcome, paperCount);
    };

    if (page.outcome === 'redirected') {
      logger.info({ url, status: httpStatus, location: page.location }, 'no list for this digest (redirected): recorded as empty');
      return await recordWithoutLoading('empty', 0);
    }
    if (page.outcome === 'not_modified') {
      logger.info({ url }, '304 not modified: nothing to load');
      return await recordWithoutLoading('not_modified', previous?.paperCount ?? 0, carriedOver(audit, previous));
    }
    const contentSha256 = createHash('sha256').update(page.response.body).digest('hex');
    if (isSameContent(previous, contentSha256)) {
      logger.info({ url, contentSha256 }, 'same bytes as the last fetch: nothing to load');
      return await recordWithoutLoading('not_modified', previous.paperCount, { contentSha256, parserVersion: PARSER_VERSION });
    }

    const parsed = parseDailyPapersPage(page.response.body.toString('utf8'), { url });
    for (const warning of parsed.warnings) logger.warn({ url }, warning);
    const loaded = await loadDigest(deps.pool, {
      digest,
      listed: parsed.papers,
      observedAt: fetchedAt,
      fetch: { ...audit, contentSha256, parserVersion: PARSER_VERSION, error: null, warnings: parsed.warnings, durationMs: elapsed() },
    });
    const outcome = parsed.papers.length === 0 ? 'empty' : 'loaded';
    logger.info(
      { url, outcome, papers: parsed.papers.length, ...loaded.counts, metrics: loaded.metricsAppended },
      `${outcome} ${parsed.papers.length} papers`,
    );
    return { ...resultOf(digest, url, httpStatus, outcome, parsed.papers.length), counts: loaded.counts, warnings: parsed.warnings };
  } catch (error) {
    await recordFetch(deps.pool, {
      digest,
      url,
      httpStatus,
      outcome: 'failed',
      paperCount: 0,
      error: (error as Error).message,
      durationMs: elapsed(),
    }).catch((auditError: Error) => logger.error({ err: auditError }, 'could not record the failed fetch'));
    throw error;
  }
}

function auditOf(digest: DigestRef, url: string, response: HttpResponse): ResponseAudit {
  return {
    digest,
    url,
    httpStatus: response.status,
    etag: response.headers['etag'] ?? null,
    lastModified: response.headers['last-modified'] ?? null,
  };
}

/** A 304 carries no body: the content it confirms is the previous fetch's. */
function carriedOver(audit: ResponseAudit, previous: PreviousFetch | undefined): Partial<FetchRecord> {
  return {
    etag: audit.etag ?? previous?.etag ?? null,
    lastModified: audit.lastModified ?? previous?.lastModified ?? null,
    contentSha256: previous?.contentSha256 ?? null,
    parserVersion: previous?.parserVersion ?? null,
  };
}

/** Same bytes parsed by the same parser version give the same rows: skip them. */
function isSameContent(previous: PreviousFetch | undefined, contentSha256: string): previous is PreviousFetch {
  return previous?.contentSha256 === contentSha256 && previous.parserVersion === PARSER_VERSION;
}

function resultOf(
  digest: DigestRef,
  url: string,
  httpStatus: number,
  outcome: IngestResult['outcome'],
  paperCount: number,
): IngestResult {
  return { digest, url, outcome, httpStatus, paperCount, counts: NOTHING_WRITTEN, warnings: [] };
}
