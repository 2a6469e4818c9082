import { createHash } from 'node:crypto';
import http from 'node:http';
import { startLocalServer, type LocalServer } from './local-server.ts';
import { readFixture } from './upstream-server.ts';

/**
 * A local stand-in for the GitHub API (REST and GraphQL), built from the
 * real captures in test/fixtures/github-*: every repository it serves is a
 * real repository object (the search results, the org listing and the
 * octokit get-repository response) re-keyed to the name asked for, with the
 * real captures' headers (ETag, X-RateLimit-*) and error bodies (404 Not
 * Found, 403 rate limit). Tests switch behaviours per repository: missing,
 * renamed, rate-limited, failing once.
 */

type RestRepo = Record<string, unknown> & {
  id: number;
  full_name: string;
  stargazers_count: number;
  forks_count: number;
};

const TEMPLATES: RestRepo[] = [
  ...(JSON.parse(readFixture('github-rest/github-search-repositories-glowfeed.json').toString()).items as RestRepo[]),
  ...(JSON.parse(readFixture('github-rest/github-org-repos-list-diqu.json').toString()) as RestRepo[]),
  (
    JSON.parse(readFixture('github-rest/octokit-get-repository-raw-fixture.json').toString()) as Array<{
      response: RestRepo;
    }>
  )[0]!.response,
];
const NOT_FOUND_BODY = extractReplayBody('github-rest/pygithub-404-repo-not-found.txt', 404);
const RATE_LIMIT_BODY = extractReplayBody('github-rest/pygithub-403-rate-limit-exceeded.txt', 403);
const VALIDATION_FAILED_BODY = (
  JSON.parse(readFixture('github-rest/octokit-errors-422-raw-fixture.json').toString()) as Array<{
    status: number;
    response: unknown;
  }>
).find((exchange) => exchange.status === 422)!.response;

/** The JSON body recorded for a status in a PyGithub ReplayData file. */
function extractReplayBody(file: string, status: number): string {
  const lines = readFixture(file).toString('utf8').split('\n');
  const at = lines.findIndex((line) => line.trim() === String(status));
  return lines[at + 2]!.trim();
}

export interface RecordedGithubRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** owner/repo names asked for, for GraphQL. */
  names: string[];
}

export class FakeGithub {
  readonly requests: RecordedGithubRequest[] = [];
  /** Lower-case owner/repo → current stars (to simulate a change between refreshes). */
  readonly starsOverride = new Map<string, number>();
  /** Lower-case names that do not exist. */
  readonly missing = new Set<string>();
  /** Lower-case old name → new name (same id). */
  readonly renamed = new Map<string, string>();
  /** Lower-case names whose next REST request fails with a 500. */
  readonly failOnce = new Set<string>();
  /** Lower-case names answered with the real 422 Validation Failed body. */
  readonly unprocessable = new Set<string>();
  /** When set, the next request of any kind is refused with this status and a reset in `seconds`. */
  rateLimitNext: { status: 403 | 429; seconds: number } | undefined;
  private server: LocalServer | undefined;
  baseUrl = '';

  async start(): Promise<this> {
    this.server = await startLocalServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => this.handle(request, response, body));
    });
    this.baseUrl = this.server.baseUrl;
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  /** The repository object served for a name: a real one, re-keyed (stable id per canonical name). */
  repoFor(name: string): RestRepo | undefined {
    const lower = name.toLowerCase();
    if (this.missing.has(lower)) return undefined;
    const canonical = this.renamed.get(lower) ?? name;
    const key = canonical.toLowerCase();
    // A rename keeps the repository's identity: id and template come from the name it was created under.
    const origin = [...this.renamed].find(([, to]) => to.toLowerCase() === key)?.[0] ?? key;
    const digest = createHash('sha256').update(origin).digest();
    const template = TEMPLATES[digest.readUInt32BE(0) % TEMPLATES.length]!;
    const [owner, repo] = canonical.split('/');
    return {
      ...template,
      id: 100_000 + (digest.readUInt32BE(4) % 900_000_000),
      name: repo,
      full_name: `${owner}/${repo}`,
      owner: { ...(template.owner as object), login: owner },
      stargazers_count: this.starsOverride.get(key) ?? template.stargazers_count,
    };
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse, body: string) {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const names: string[] = [];
    this.requests.push({ method: request.method ?? 'GET', url: url.pathname, headers: request.headers, names });
    if (this.rateLimitNext) {
      const { status, seconds } = this.rateLimitNext;
      this.rateLimitNext = undefined;
      const reset = Math.floor(Date.now() / 1000) + seconds;
      const headers: Record<string, string> =
        status === 429
          ? { 'retry-after': String(seconds) }
          : {
              'x-ratelimit-limit': '60',
              'x-ratelimit-remaining': '0',
              'x-ratelimit-reset': String(reset),
              'x-ratelimit-resource': 'core',
            };
      return this.json(response, status, JSON.parse(RATE_LIMIT_BODY), headers);
    }
    if (request.method === 'POST' && url.pathname === '/graphql') return this.graphql(response, body, names);
    const byName = /^\/repos\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const byId = /^\/repositories\/(\d+)$/.exec(url.pathname);
    if (request.method !== 'GET' || (!byName && !byId)) return this.json(response, 404, JSON.parse(NOT_FOUND_BODY));
    if (byId) {
      const name = [...this.renamed.values()].find((candidate) => String(this.repoFor(candidate)?.id) === byId[1]);
      return name ? this.rest(request, response, name) : this.json(response, 404, JSON.parse(NOT_FOUND_BODY));
    }
    const name = `${byName![1]}/${byName![2]}`;
    names.push(name);
    const lower = name.toLowerCase();
    if (this.failOnce.delete(lower)) return this.json(response, 500, { message: 'Server Error' });
    if (this.unprocessable.has(lower)) return this.json(response, 422, VALIDATION_FAILED_BODY);
    const renamedTo = this.renamed.get(lower);
    if (renamedTo) {
      // What GitHub does for a renamed repository: a permanent redirect to it by id.
      return this.json(
        response,
        301,
        { message: 'Moved Permanently', url: `${this.baseUrl}/repositories/${this.repoFor(name)!.id}` },
        {
          location: `${this.baseUrl}/repositories/${this.repoFor(name)!.id}`,
        },
      );
    }
    return this.rest(request, response, name);
  }

  private rest(request: http.IncomingMessage, response: http.ServerResponse, name: string) {
    const repo = this.repoFor(name);
    if (!repo) return this.json(response, 404, JSON.parse(NOT_FOUND_BODY));
    const text = JSON.stringify(repo);
    const etag = `W/"${createHash('sha256').update(text).digest('hex')}"`;
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304, { etag, ...rateHeaders('core') }).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag, ...rateHeaders('core') })
      .end(text);
  }

  private graphql(response: http.ServerResponse, body: string, names: string[]) {
    const { variables } = JSON.parse(body) as { variables: Record<string, string> };
    const data: Record<string, unknown> = {};
    const errors: unknown[] = [];
    for (let index = 0; `o${index}` in variables; index += 1) {
      const name = `${variables[`o${index}`]}/${variables[`n${index}`]}`;
      names.push(name);
      const repo = this.repoFor(name);
      if (!repo) {
        data[`r${index}`] = null;
        errors.push({
          type: 'NOT_FOUND',
          path: [`r${index}`],
          locations: [{ line: index + 2, column: 3 }],
          message: `Could not resolve to a Repository with the name '${name}'.`,
        });
        continue;
      }
      data[`r${index}`] = toGraphql(repo);
    }
    this.json(response, 200, errors.length ? { data, errors } : { data }, rateHeaders('graphql'));
  }

  private json(response: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
    response
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(value));
  }
}

function rateHeaders(resource: string): Record<string, string> {
  return {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-used': '1',
    'x-ratelimit-resource': resource,
  };
}

/** The same repository in the GraphQL field names paperboy asks for. */
function toGraphql(repo: RestRepo) {
  const license = repo.license as { spdx_id?: string } | null;
  return {
    databaseId: repo.id,
    nameWithOwner: repo.full_name,
    description: repo.description ?? null,
    stargazerCount: repo.stargazers_count,
    forkCount: repo.forks_count,
    primaryLanguage: repo.language ? { name: repo.language } : null,
    licenseInfo: license ? { spdxId: license.spdx_id ?? null } : null,
    repositoryTopics: { nodes: ((repo.topics as string[] | undefined) ?? []).map((name) => ({ topic: { name } })) },
    isArchived: Boolean(repo.archived),
    isFork: Boolean(repo.fork),
    pushedAt: repo.pushed_at ?? null,
    createdAt: repo.created_at ?? null,
    homepageUrl: repo.homepage ?? null,
    defaultBranchRef: repo.default_branch ? { name: repo.default_branch } : null,
    issues: { totalCount: (repo.open_issues_count as number | undefined) ?? 0 },
  };
}
