import type pg from 'pg';
import { findLatestKeptFetches } from '../db/fetches.repository.ts';
import { loadPageBody } from '../db/pages.repository.ts';
import type { UpsertCounts } from '../db/papers.repository.ts';
import { DIGEST_SOURCE_HF, type DigestKind, type DigestRef } from '../domain/digest-key.ts';
import { PARSER_VERSION } from '../domain/parse-digest.ts';
import { PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { parseAndLoad } from './parse-and-load.ts';

export interface ReparseFilter {
  /** One page kind (`paper`: single paper pages); every kind when absent. */
  kind?: DigestKind;
  /** Inclusive key bounds; keys of one kind sort in time order (YYYY-MM-DD, YYYY-Www, YYYY-MM). */
  from?: string;
  to?: string;
  /** Re-parse even digests whose latest fetch was parsed by the current parser. */
  all?: boolean;
}

export interface ReparseSummary {
  considered: number;
  loaded: number;
  empty: number;
  failed: Array<{ digest: DigestRef; error: string }>;
  counts: UpsertCounts;
}

/**
 * Runs the current parser over the stored bytes of each matching digest's
 * latest kept page, without fetching anything, and loads the result as an
 * observation made when the page was fetched. By default only pages parsed
 * by an older parser version, or whose parse failed, are redone: after a
 * layout fix, this repairs the past too. Loads are idempotent, so running it
 * twice changes nothing the second time but the audit trail.
 */
export async function reparseDigests(pool: pg.Pool, filter: ReparseFilter, logger: Logger): Promise<ReparseSummary> {
  const rows = await findLatestKeptFetches(pool, DIGEST_SOURCE_HF, filter);
  const due = rows.filter((row) => filter.all || row.parser_version !== PARSER_VERSION || row.outcome === 'failed');
  const summary: ReparseSummary = {
    considered: rows.length,
    loaded: 0,
    empty: 0,
    failed: [],
    counts: { inserted: 0, updated: 0, unchanged: 0 },
  };
  for (const row of due) {
    const digest: DigestRef = { source: DIGEST_SOURCE_HF, kind: row.kind, key: row.key };
    try {
      const stored = await loadPageBody(pool, row.content_sha256);
      if (!stored) throw new PermanentError(`the body of fetch ${row.id} (${row.content_sha256}) is no longer stored`);
      const loaded = await parseAndLoad(pool, {
        digest,
        transport: row.transport,
        body: stored.body,
        url: row.url,
        observedAt: row.fetched_at,
        fetch: {
          url: row.url,
          httpStatus: row.http_status,
          error: null,
          etag: row.etag,
          lastModified: row.last_modified,
          contentSha256: row.content_sha256,
          parserVersion: PARSER_VERSION,
          transport: row.transport,
          reparseOf: Number(row.id),
        },
      });
      if (loaded.outcome === 'empty') summary.empty += 1;
      else summary.loaded += 1;
      for (const field of ['inserted', 'updated', 'unchanged'] as const) summary.counts[field] += loaded.counts[field];
      logger.info({ digest: `${row.kind}/${row.key}`, reparseOf: row.id, ...loaded.counts }, 're-parsed stored page');
    } catch (error) {
      summary.failed.push({ digest, error: (error as Error).message });
      logger.warn({ digest: `${row.kind}/${row.key}`, reparseOf: row.id, err: error }, 're-parse failed');
    }
  }
  return summary;
}
