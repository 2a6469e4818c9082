import type { HttpClient, HttpResponse } from './http-client.ts';

export type HfPageResult =
  | { outcome: 'page'; response: HttpResponse }
  /** Hugging Face answers a date with no list by redirecting elsewhere. */
  | { outcome: 'redirected'; response: HttpResponse; location: string | undefined };

/** Fetches one Hugging Face page, sending HF_TOKEN when configured. */
export async function fetchHfPage(http: HttpClient, url: string, token: string | undefined): Promise<HfPageResult> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await http.get(url, headers);
  if (response.status >= 300 && response.status < 400) {
    return { outcome: 'redirected', response, location: response.headers['location'] };
  }
  return { outcome: 'page', response };
}
