import { InvalidPayloadError, PermanentError } from '../errors.ts';
import { apiPeriodParameter, type PeriodKind } from '../domain/digest-key.ts';
import type { HfClient } from './hf-client.ts';

/** The API's largest page size. */
export const API_PAGE_LIMIT = 100;
/** A period never lists more than a few hundred papers; more pages than this means the paging is broken. */
const MAX_API_PAGES = 30;

export interface ApiFetchResult {
  /** The first page's URL: what the audit row names. */
  url: string;
  status: number;
  /** Every page's entries in order, as one JSON array: what gets hashed, stored and parsed. */
  body: Buffer;
  pages: number;
}

export function dailyPapersApiUrl(baseUrl: string, kind: PeriodKind, key: string, page: number): string {
  return `${baseUrl}/api/daily_papers?${apiPeriodParameter(kind)}=${encodeURIComponent(key)}&limit=${API_PAGE_LIMIT}&p=${page}`;
}

/**
 * Reads a period's papers from `/api/daily_papers` (date=, week= or month=),
 * following `p` until a page comes back short (each page one request of the
 * API budget). The same entries as a list
 * page's blob, so they go through the same schema and mapping.
 *
 * @throws InvalidPayloadError when a page is not a JSON array.
 * @throws PermanentError on a redirect (the API does not redirect) or runaway paging; HTTP errors as HttpClient.
 */
export async function fetchDailyPapersApi(
  hf: HfClient,
  baseUrl: string,
  kind: PeriodKind,
  key: string,
): Promise<ApiFetchResult> {
  const entries: unknown[] = [];
  const firstUrl = dailyPapersApiUrl(baseUrl, kind, key, 0);
  for (let page = 0; page < MAX_API_PAGES; page += 1) {
    const url = dailyPapersApiUrl(baseUrl, kind, key, page);
    // Each page is a request of its own, counted against the API budget.
    const response = await hf.api(url);
    if (response.status !== 200) {
      throw new PermanentError(
        `${url} answered ${response.status} (${response.headers['location'] ?? 'no location'}); the API should not redirect`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body.toString('utf8'));
    } catch (error) {
      throw new InvalidPayloadError(`${url} did not return valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) {
      throw new InvalidPayloadError(`${url} did not return a JSON array of papers`);
    }
    entries.push(...parsed);
    if (parsed.length < API_PAGE_LIMIT) {
      return { url: firstUrl, status: 200, body: Buffer.from(JSON.stringify(entries)), pages: page + 1 };
    }
  }
  throw new PermanentError(
    `${firstUrl}: more than ${MAX_API_PAGES} pages of ${API_PAGE_LIMIT}; refusing to page further`,
  );
}
