import { UNMETERED, type HfBucket, type RequestBudget } from '../domain/request-budget.ts';
import { RateLimitedError } from '../errors.ts';
import type { HttpClient, HttpResponse } from './http-client.ts';

export type HfPageResult =
  | { outcome: 'page'; response: HttpResponse }
  /** 304 to a conditional request: the page is the one we already have. */
  | { outcome: 'not_modified'; response: HttpResponse }
  /** Hugging Face answers a date with no list by redirecting elsewhere. */
  | { outcome: 'redirected'; response: HttpResponse; location: string | undefined }
  /** 404, when the caller asked for it as an answer (a paper's own page): otherwise a PermanentError. */
  | { outcome: 'not_found'; response: HttpResponse };

/** How a caller wants a request's answers. */
export interface HfRequestOptions {
  /** A 404 is an answer (the paper has no page), not an error. */
  notFoundIsAnswer?: boolean;
}

const NOT_FOUND = new Set([404]);

export interface ConditionalHeaders {
  etag?: string | null;
  lastModified?: string | null;
}

/**
 * Every request paperboy makes to Hugging Face: each one inside its
 * bucket's budget (`pages` for HTML, `api` for `/api/...`), its rate-limit
 * headers read, `HF_TOKEN` sent when configured.
 */
export class HfClient {
  constructor(
    private readonly http: HttpClient,
    private readonly token: string | undefined,
    private readonly budget: RequestBudget = UNMETERED,
  ) {}

  /** An HTML page, conditional on the validators of the last good fetch when known. */
  async page(url: string, conditional: ConditionalHeaders = {}, options: HfRequestOptions = {}): Promise<HfPageResult> {
    const headers: Record<string, string> = {};
    if (conditional.etag) headers['if-none-match'] = conditional.etag;
    if (conditional.lastModified) headers['if-modified-since'] = conditional.lastModified;
    const response = await this.get('pages', url, headers, options);
    if (response.status === 404) return { outcome: 'not_found', response };
    if (response.status === 304) return { outcome: 'not_modified', response };
    if (response.status >= 300 && response.status < 400) {
      return { outcome: 'redirected', response, location: response.headers['location'] };
    }
    return { outcome: 'page', response };
  }

  /** One JSON API request (`/api/...`). */
  async api(url: string, options: HfRequestOptions = {}): Promise<HttpResponse> {
    return this.get('api', url, { accept: 'application/json' }, options);
  }

  private async get(
    bucket: HfBucket,
    url: string,
    headers: Record<string, string>,
    options: HfRequestOptions,
  ): Promise<HttpResponse> {
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    await this.budget.acquire(bucket);
    try {
      const response = await this.http.get(url, headers, options.notFoundIsAnswer ? { passStatuses: NOT_FOUND } : {});
      await this.budget.observe(bucket, response.headers);
      return response;
    } catch (error) {
      if (error instanceof RateLimitedError) throw await this.budget.refused(bucket, error);
      throw error;
    }
  }
}
