import type { HttpClient, HttpResponse } from './http-client.ts';

export type HfPageResult =
  | { outcome: 'page'; response: HttpResponse }
  /** 304 to a conditional request: the page is the one we already have. */
  | { outcome: 'not_modified'; response: HttpResponse }
  /** Hugging Face answers a date with no list by redirecting elsewhere. */
  | { outcome: 'redirected'; response: HttpResponse; location: string | undefined };

export interface ConditionalHeaders {
  etag?: string | null;
  lastModified?: string | null;
}

/** Fetches one Hugging Face page, sending HF_TOKEN when configured and validators when known. */
export async function fetchHfPage(
  http: HttpClient,
  url: string,
  token: string | undefined,
  conditional: ConditionalHeaders = {},
): Promise<HfPageResult> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (conditional.etag) headers['if-none-match'] = conditional.etag;
  if (conditional.lastModified) headers['if-modified-since'] = conditional.lastModified;
  const response = await http.get(url, headers);
  if (response.status === 304) return { outcome: 'not_modified', response };
  if (response.status >= 300 && response.status < 400) {
    return { outcome: 'redirected', response, location: response.headers['location'] };
  }
  return { outcome: 'page', response };
}
