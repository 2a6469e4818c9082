import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpClient } from '../../src/http/http-client.ts';
import { startLocalServer, type LocalServer } from './local-server.ts';

/**
 * A real HTTP server on 127.0.0.1 standing in for Hugging Face or GitHub. It
 * replays captured fixtures (never hand-written imitations) and can be told
 * to misbehave per route. Every request is recorded for assertions.
 */

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

export function readFixture(relativePath: string): Buffer {
  return readFileSync(path.join(FIXTURES_DIR, relativePath));
}

export interface CannedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type RouteHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export class UpstreamServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, RouteHandler | CannedResponse[]>();
  private server: LocalServer | undefined;

  /** When set, canned responses to a path wait this many milliseconds (a slow upstream). */
  delay: ((pathAndQuery: string) => number) | undefined;

  /** The base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl = '';

  /**
   * Serves `responses` in order for a path (with query string); the last one
   * repeats. A function takes over the response entirely.
   */
  route(pathAndQuery: string, ...responses: Array<CannedResponse> | [RouteHandler]): this {
    const [first] = responses;
    this.routes.set(pathAndQuery, typeof first === 'function' ? first : (responses as CannedResponse[]));
    return this;
  }

  requestsTo(pathAndQuery: string): RecordedRequest[] {
    return this.requests.filter((request) => request.url === pathAndQuery);
  }

  async start(): Promise<this> {
    this.server = await startLocalServer((request, response) => this.handle(request, response));
    this.baseUrl = this.server.baseUrl;
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = request.url ?? '/';
    this.requests.push({ method: request.method ?? 'GET', url, headers: request.headers });
    const route = this.routes.get(url);
    if (route === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`no fixture for ${url}`);
      return;
    }
    if (typeof route === 'function') {
      route(request, response);
      return;
    }
    const canned = route.length > 1 ? route.shift()! : route[0]!;
    const wait = this.delay?.(url) ?? 0;
    if (wait > 0) setTimeout(() => this.send(response, canned), wait);
    else this.send(response, canned);
  }

  private send(response: http.ServerResponse, canned: CannedResponse): void {
    const body = canned.body ?? '';
    response.writeHead(canned.status ?? 200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      ...canned.headers,
    });
    response.end(body);
  }
}

/** The HTTP client tests give the stages: real, allowed to reach this stand-in only. */
export function clientFor(upstream: { baseUrl: string }): HttpClient {
  return new HttpClient({
    userAgent: 'paperboy-test',
    timeoutMs: 5_000,
    maxBodyBytes: 5_000_000,
    allowedOrigins: [upstream.baseUrl],
  });
}
