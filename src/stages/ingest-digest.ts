import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  findLatestGoodFetch,
  recordFetch,
  type FetchOutcome,
  type FetchRecord,
  type PreviousFetch,
} from '../db/fetches.repository.ts';
import { storePageBody } from '../db/pages.repository.ts';
import type { UpsertCounts } from '../db/papers.repository.ts';
import {
  digestUrl,
  isPeriodKind,
  paperApiUrl,
  transportFor,
  type DigestRef,
  type Transport,
} from '../domain/digest-key.ts';
import { PARSER_VERSION } from '../domain/parse-digest.ts';
import { LayoutChangedError, PermanentError } from '../errors.ts';
import { fetchDailyPapersApi } from '../http/hf-api-client.ts';
import { HfClient } from '../http/hf-client.ts';
import type { HttpClient } from '../http/http-client.ts';
import type { Logger } from '../logger.ts';
import type { RequestBudget } from '../domain/request-budget.ts';
import { recordPaperNotFound } from './load-paper.ts';
import { parseAndLoad } from './parse-and-load.ts';

export interface IngestDependencies {
  http: HttpClient;
  pool: pg.Pool;
  /** `transport`: the configured way to fetch day/week/month digests (html unless set). */
  hf: { baseUrl: string; token: string | undefined; transport?: Transport };
  /** Hugging Face's request budgets (the workers share one in Redis); none for a one-off command. */
  budget?: RequestBudget;
  logger: Logger;
}

export interface IngestOptions {
  /** Fetch unconditionally and re-parse even when the bytes are unchanged. */
  force?: boolean;
  /** The HTML page or the JSON API (day, week and month only); default: deps.hf.transport for those, html otherwise. */
  via?: Transport;
}

export interface IngestResult {
  digest: DigestRef;
  url: string;
  outcome: Exclude<FetchOutcome, 'failed'>;
  httpStatus: number;
  paperCount: number;
  counts: UpsertCounts;
  warnings: string[];
  /** Normalised `owner/repo` references of the papers loaded (empty unless loaded). */
  repoRefs: string[];
  /** Where the time went: the request (with the previous-fetch lookup), parsing, and storing + loading. */
  timings: StageTimings;
}

export interface StageTimings {
  fetchMs: number;
  parseMs: number;
  loadMs: number;
}

const NOTHING_WRITTEN: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };

/** What came back from upstream, before any parsing. */
type Fetched =
  | { outcome: 'redirected'; url: string; status: number; location: string | undefined }
  /** Only a paper's own page or API body: 404 means Hugging Face has no such paper (now). */
  | { outcome: 'not_found'; url: string; status: number }
  | { outcome: 'not_modified'; url: string; status: number; etag: string | null; lastModified: string | null }
  | {
      outcome: 'body';
      url: string;
      status: number;
      etag: string | null;
      lastModified: string | null;
      body: Buffer;
      contentType: string;
    };

/**
 * fetch → parse → load for one digest: a list (day, week, month, trending,
 * front, search) or one paper's own page (kind `paper`, key its id).
 *
 * A conditional request (ETag / Last-Modified of the last good fetch) that
 * answers 304, or a body whose sha256 and parser version match the last good
 * fetch, skips parsing and loading: outcome `not_modified`. A paper page
 * that answers 404 marks the paper's detail `not_found` (outcome
 * `not_found`; nothing deleted). Every other body
 * is kept (compressed, by sha256) before it is parsed, so a page that fails
 * to parse today can be re-parsed by a fixed parser later. The papers,
 * listings, metrics and audit row are written in one transaction. A failed
 * attempt is still recorded (outcome `failed`, with the error and, for a
 * changed layout, an excerpt) and the error is rethrown unchanged for the
 * caller's retry policy.
 */
export async function ingestDigest(
  deps: IngestDependencies,
  digest: DigestRef,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const transport = options.via ?? transportFor(digest.kind, deps.hf.transport ?? 'html');
  const logger = deps.logger.child({ digest: `${digest.source}/${digest.kind}/${digest.key}`, transport });
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let audit: Omit<FetchRecord, 'outcome' | 'paperCount' | 'error'> = {
    digest,
    url: digestUrl(deps.hf.baseUrl, digest),
    httpStatus: null,
    transport,
  };
  const timings: StageTimings = { fetchMs: 0, parseMs: 0, loadMs: 0 };
  try {
    const previous = options.force ? undefined : await findLatestGoodFetch(deps.pool, digest);
    const fetched = await requestDigest(deps, digest, transport, previous);
    timings.fetchMs = elapsed();
    const fetchedAt = new Date();
    audit = { ...audit, url: fetched.url, httpStatus: fetched.status, fetchedAt };
    const done = async (outcome: 'empty' | 'not_modified', paperCount: number, extra: Partial<FetchRecord> = {}) => {
      await recordFetch(deps.pool, { ...audit, ...extra, outcome, paperCount, error: null, durationMs: elapsed() });
      return { ...resultOf(digest, fetched.url, fetched.status, outcome, paperCount), timings };
    };

    if (fetched.outcome === 'redirected') {
      logger.debug(
        { url: fetched.url, status: fetched.status, location: fetched.location },
        'no list for this digest (redirected): recorded as empty',
      );
      return await done('empty', 0);
    }
    if (fetched.outcome === 'not_found') {
      const known = await recordPaperNotFound(deps.pool, digest, fetchedAt, {
        ...audit,
        error: null,
        durationMs: elapsed(),
      });
      logger.debug(
        { url: fetched.url, known },
        `404: no such paper on Hugging Face${known ? ': detail marked not_found' : ''}`,
      );
      return { ...resultOf(digest, fetched.url, fetched.status, 'not_found', 0), timings };
    }
    audit = { ...audit, etag: fetched.etag, lastModified: fetched.lastModified };
    if (fetched.outcome === 'not_modified') {
      logger.debug({ url: fetched.url }, '304 not modified: nothing to load');
      return await done('not_modified', previous?.paperCount ?? 0, carriedOver(audit, previous));
    }
    const contentSha256 = createHash('sha256').update(fetched.body).digest('hex');
    audit = { ...audit, contentSha256, parserVersion: PARSER_VERSION };
    if (isSameContent(previous, contentSha256)) {
      logger.debug({ url: fetched.url, contentSha256 }, 'same bytes as the last fetch: nothing to load');
      return await done('not_modified', previous.paperCount);
    }
    await storePageBody(deps.pool, contentSha256, fetched.contentType, fetched.body);

    const loaded = await parseAndLoad(deps.pool, {
      digest,
      transport,
      body: fetched.body,
      url: fetched.url,
      observedAt: fetchedAt,
      fetch: { ...audit, error: null, durationMs: elapsed() },
    });
    timings.parseMs = loaded.parseMs;
    timings.loadMs = elapsed() - timings.fetchMs - timings.parseMs;
    // Kept with the fetch (digest_fetches.warnings); callers report them (the job's line, the CLI's summary).
    for (const warning of loaded.warnings) logger.debug({ url: fetched.url }, warning);
    const { outcome, paperCount } = loaded;
    logger.debug(
      { url: fetched.url, outcome, papers: paperCount, ...loaded.counts, metrics: loaded.metricsAppended },
      `${outcome} ${paperCount} papers`,
    );
    return {
      ...resultOf(digest, fetched.url, fetched.status, outcome, paperCount),
      counts: loaded.counts,
      warnings: loaded.warnings,
      repoRefs: loaded.repoRefs,
      timings,
    };
  } catch (error) {
    const excerpt = error instanceof LayoutChangedError ? error.excerpt : null;
    if (error instanceof LayoutChangedError) {
      // The caller says it loudly (the job's error line, the CLI's error); the excerpt is kept with the fetch.
      logger.debug({ url: audit.url, excerpt }, `LAYOUT CHANGED: ${error.message}`);
    }
    await recordFetch(deps.pool, {
      ...audit,
      outcome: 'failed',
      paperCount: 0,
      error: (error as Error).message,
      errorClass: error instanceof Error ? error.name : 'unknown',
      excerpt,
      durationMs: elapsed(),
    }).catch((auditError: Error) => logger.error({ err: auditError }, 'could not record the failed fetch'));
    throw error;
  }
}

/** The HTTP request for one digest: the JSON API, or the HTML page, conditional on the previous fetch's validators. */
async function requestDigest(
  deps: IngestDependencies,
  digest: DigestRef,
  transport: Transport,
  previous: PreviousFetch | undefined,
): Promise<Fetched> {
  const hf = new HfClient(deps.http, deps.hf.token, deps.budget);
  if (transport === 'api') {
    if (digest.kind === 'paper') return requestPaperApi(hf, paperApiUrl(deps.hf.baseUrl, digest.key));
    if (!isPeriodKind(digest.kind)) {
      throw new PermanentError(
        `the JSON API serves day, week and month digests and single papers, not ${digest.kind}: use the HTML page`,
      );
    }
    const api = await fetchDailyPapersApi(hf, deps.hf.baseUrl, digest.kind, digest.key);
    return {
      outcome: 'body',
      url: api.url,
      status: api.status,
      etag: null,
      lastModified: null,
      body: api.body,
      contentType: 'application/json',
    };
  }
  const url = digestUrl(deps.hf.baseUrl, digest);
  // A paper's page that answers 404 is an answer (no such paper, now); a list page's 404 is an error.
  const page = await hf.page(url, previous ?? {}, { notFoundIsAnswer: digest.kind === 'paper' });
  const { response } = page;
  if (page.outcome === 'redirected')
    return { outcome: 'redirected', url, status: response.status, location: page.location };
  if (page.outcome === 'not_found') return { outcome: 'not_found', url, status: response.status };
  const validators = {
    etag: response.headers['etag'] ?? null,
    lastModified: response.headers['last-modified'] ?? null,
  };
  if (page.outcome === 'not_modified') return { outcome: 'not_modified', url, status: response.status, ...validators };
  return {
    outcome: 'body',
    url,
    status: response.status,
    ...validators,
    body: response.body,
    contentType: response.headers['content-type'] ?? 'text/html',
  };
}

/** `/api/papers/<id>`: one JSON object, or 404 when Hugging Face has no such paper. */
async function requestPaperApi(hf: HfClient, url: string): Promise<Fetched> {
  const response = await hf.api(url, { notFoundIsAnswer: true });
  if (response.status === 404) return { outcome: 'not_found', url, status: 404 };
  if (response.status !== 200) {
    throw new PermanentError(
      `${url} answered ${response.status} (${response.headers['location'] ?? 'no location'}); the API should not redirect`,
    );
  }
  return {
    outcome: 'body',
    url,
    status: 200,
    etag: null,
    lastModified: null,
    body: response.body,
    contentType: 'application/json',
  };
}

/** A 304 carries no body: the content it confirms is the previous fetch's. */
function carriedOver(audit: Partial<FetchRecord>, previous: PreviousFetch | undefined): Partial<FetchRecord> {
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
): Omit<IngestResult, 'timings'> {
  return { digest, url, outcome, httpStatus, paperCount, counts: NOTHING_WRITTEN, warnings: [], repoRefs: [] };
}
