import type pg from 'pg';
import type { DigestRef, Transport } from '../domain/digest-key.ts';
import { parseDigestBody } from '../domain/parse-digest.ts';
import { parsePaperBody } from '../domain/parse-paper-page.ts';
import { loadDigest, type LoadDigestInput, type LoadDigestResult } from './load-digest.ts';
import { loadPaperPage } from './load-paper.ts';

export interface ParseAndLoadInput {
  digest: DigestRef;
  transport: Transport;
  /** The page or API body as received (or as stored, for a re-parse). */
  body: Buffer;
  url: string;
  /** When the body was fetched: the observation time of every value in it. */
  observedAt: Date;
  /** The audit row, written in the load's transaction. */
  fetch: LoadDigestInput['fetch'];
}

export interface ParsedAndLoaded extends LoadDigestResult {
  warnings: string[];
  parseMs: number;
}

/**
 * Parses a body by what it is (a list page or API list, or one paper's page
 * or API body) and loads it: the one step `ingest` runs after a fetch and
 * `reparse` runs over stored bytes. Throws what the parser throws, before
 * anything is written.
 */
export async function parseAndLoad(pool: pg.Pool, input: ParseAndLoadInput): Promise<ParsedAndLoaded> {
  const { digest, transport, body, url, observedAt, fetch } = input;
  const started = performance.now();
  if (digest.kind === 'paper') {
    const parsed = parsePaperBody(transport, body, { url, id: digest.key });
    const parseMs = performance.now() - started;
    const loaded = await loadPaperPage(pool, { digest, parsed, observedAt, fetch });
    return { ...loaded, warnings: parsed.warnings, parseMs };
  }
  const parsed = parseDigestBody(transport, body, { url });
  const parseMs = performance.now() - started;
  const loaded = await loadDigest(pool, { digest, parsed, observedAt, fetch });
  return { ...loaded, warnings: parsed.warnings, parseMs };
}
