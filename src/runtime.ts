import type { Config } from './config.ts';
import { HttpClient } from './http/http-client.ts';

/** The one HTTP client for the upstreams: only the hosts of HF_BASE_URL and GITHUB_API_URL are allowed. */
export function createUpstreamClient(config: Config): HttpClient {
  return new HttpClient({ ...config.http, allowedOrigins: [config.hf.baseUrl, config.github.apiUrl] });
}
