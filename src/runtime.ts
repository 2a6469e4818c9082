import type { Config } from './config.ts';
import { HttpClient } from './http/http-client.ts';
import { allowedOrigins } from './upstreams/index.ts';

/** The one HTTP client for the upstreams: only their declared origins (HF_BASE_URL, GITHUB_API_URL) are allowed. */
export function createUpstreamClient(config: Config): HttpClient {
  return new HttpClient({ ...config.http, allowedOrigins: allowedOrigins(config) });
}
