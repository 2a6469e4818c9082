import { z } from 'zod';
import type { GithubRepo } from '../domain/github-repo.ts';
import type { UpstreamLimit } from '../domain/upstream-limit.ts';
import { InvalidPayloadError, PermanentError, RateLimitedError, TransientError } from '../errors.ts';
import { DEFAULT_RATE_LIMIT_WAIT_MS, parseRetryAfter, type HttpClient, type HttpResponse } from './http-client.ts';

/** Reads `x-ratelimit-*` response headers, if the upstream sent them. */
export function limitFromHeaders(upstream: string, headers: Record<string, string>): UpstreamLimit | undefined {
  const remaining = Number(headers['x-ratelimit-remaining']);
  if (headers['x-ratelimit-remaining'] === undefined || !Number.isFinite(remaining)) return undefined;
  const reset = Number(headers['x-ratelimit-reset']);
  return {
    upstream,
    resource: headers['x-ratelimit-resource'] ?? 'default',
    remaining,
    resetAt: Number.isFinite(reset) && headers['x-ratelimit-reset'] !== undefined ? new Date(reset * 1000) : null,
  };
}

export interface GithubTarget {
  apiUrl: string;
  token: string | undefined;
}

/** Repositories per GraphQL query (aliases); GitHub's node limits allow 100. */
export const GRAPHQL_BATCH = 100;

const PASS = new Set([301, 302, 304, 307, 403, 404, 422, 429]);

function headersFor(target: GithubTarget, extra: Record<string, string> = {}): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
    ...extra,
  };
}

/**
 * GitHub signals limits with 403 or 429: `retry-after` (secondary limits),
 * or `x-ratelimit-remaining: 0` with `x-ratelimit-reset` (primary, plus a
 * second of slack). Without either, wait a minute. A 403 that is not about limits is permanent.
 *
 * @throws RateLimitedError or PermanentError, always.
 */
export function throwGithubRefusal(response: HttpResponse, now = Date.now()): never {
  const headers = response.headers;
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  const reset = Number(headers['x-ratelimit-reset']);
  const exhausted = headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset);
  const message = response.body.toString('utf8').slice(0, 200);
  const aboutLimits = response.status === 429 || retryAfter !== undefined || exhausted || /rate limit/i.test(message);
  if (!aboutLimits) throw new PermanentError(`${response.url} answered ${response.status}: ${message}`);
  const waitMs = retryAfter ?? (exhausted ? Math.max(reset * 1000 - now, 0) + 1_000 : DEFAULT_RATE_LIMIT_WAIT_MS);
  throw new RateLimitedError(
    `GitHub rate limit on ${response.url} (${response.status}); retry in ${Math.ceil(waitMs / 1000)} s`,
    waitMs,
  );
}

const restRepoSchema = z.looseObject({
  id: z.number().int(),
  full_name: z.string(),
  description: z.string().nullish(),
  stargazers_count: z.number().int(),
  forks_count: z.number().int(),
  open_issues_count: z.number().int().nullish(),
  language: z.string().nullish(),
  license: z.looseObject({ spdx_id: z.string().nullish() }).nullish(),
  topics: z.array(z.string()).nullish(),
  archived: z.boolean().nullish(),
  fork: z.boolean().nullish(),
  default_branch: z.string().nullish(),
  homepage: z.string().nullish(),
  created_at: z.string().nullish(),
  pushed_at: z.string().nullish(),
});

/** GitHub says NOASSERTION when it found a license file it could not identify: no SPDX id. */
function spdxOrNull(spdx: string | null | undefined): string | null {
  return spdx && spdx !== 'NOASSERTION' ? spdx : null;
}

/** Every repository has these; either API may leave out or null any other field. */
type EssentialField = 'id' | 'fullName' | 'stars' | 'forks';

/** A repository's fields under paperboy's names, as either API gives them. */
type RepoFields = Pick<GithubRepo, EssentialField> & {
  [Field in Exclude<keyof GithubRepo, EssentialField>]?: GithubRepo[Field] | null;
};

/**
 * The one mapping to GithubRepo, for REST and GraphQL alike: what GitHub
 * leaves out is null (no topics, flags false), and an empty homepage or an
 * unidentified license is no value either.
 */
function toRepo(fields: RepoFields): GithubRepo {
  return {
    id: fields.id,
    fullName: fields.fullName,
    description: fields.description ?? null,
    stars: fields.stars,
    forks: fields.forks,
    openIssues: fields.openIssues ?? null,
    language: fields.language ?? null,
    licenseSpdx: spdxOrNull(fields.licenseSpdx),
    topics: fields.topics ?? [],
    archived: fields.archived ?? false,
    fork: fields.fork ?? false,
    defaultBranch: fields.defaultBranch ?? null,
    homepage: fields.homepage || null,
    createdAt: fields.createdAt ?? null,
    pushedAt: fields.pushedAt ?? null,
  };
}

/** @throws InvalidPayloadError when `value` is not a repository object of the API `schema` describes. */
function parseRepoPayload<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidPayloadError(`${where}: not a repository: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function fromRest(json: unknown, url: string): GithubRepo {
  const r = parseRepoPayload(restRepoSchema, json, url);
  return toRepo({
    id: r.id,
    fullName: r.full_name,
    description: r.description,
    homepage: r.homepage,
    stars: r.stargazers_count,
    forks: r.forks_count,
    openIssues: r.open_issues_count,
    language: r.language,
    licenseSpdx: r.license?.spdx_id,
    topics: r.topics,
    defaultBranch: r.default_branch,
    archived: r.archived,
    fork: r.fork,
    createdAt: r.created_at,
    pushedAt: r.pushed_at,
  });
}

export type RestRepoResult =
  | { kind: 'found'; repo: GithubRepo; etag: string | null; limit: UpstreamLimit | undefined }
  | { kind: 'not_modified'; limit: UpstreamLimit | undefined }
  | { kind: 'not_found'; limit: UpstreamLimit | undefined };

/**
 * GET /repos/{owner}/{repo}, conditional on a stored ETag (a 304 costs no
 * rate limit when authenticated, and saves the body either way). A renamed
 * repository answers 301 to its new location (/repositories/{id}): followed
 * once.
 */
export async function getRepoRest(
  http: HttpClient,
  target: GithubTarget,
  ownerRepo: string,
  etag?: string | null,
): Promise<RestRepoResult> {
  let url = `${target.apiUrl}/repos/${ownerRepo}`;
  for (let hop = 0; hop < 2; hop += 1) {
    const response = await http.get(url, headersFor(target, etag ? { 'if-none-match': etag } : {}), {
      passStatuses: PASS,
    });
    const limit = limitFromHeaders('github', response.headers);
    switch (response.status) {
      case 200:
        return {
          kind: 'found',
          repo: fromRest(parseJson(response), url),
          etag: response.headers['etag'] ?? null,
          limit,
        };
      case 304:
        return { kind: 'not_modified', limit };
      case 404:
        return { kind: 'not_found', limit };
      case 301:
      case 302:
      case 307: {
        const location = response.headers['location'];
        if (!location) throw new InvalidPayloadError(`${url} answered ${response.status} without a Location`);
        url = new URL(location, url).toString();
        etag = undefined;
        continue;
      }
      default:
        throwGithubRefusal(response);
    }
  }
  throw new PermanentError(`${target.apiUrl}/repos/${ownerRepo}: more than one redirect`);
}

const graphqlRepoSchema = z.looseObject({
  databaseId: z.number().int(),
  nameWithOwner: z.string(),
  description: z.string().nullish(),
  stargazerCount: z.number().int(),
  forkCount: z.number().int(),
  primaryLanguage: z.object({ name: z.string() }).nullish(),
  licenseInfo: z.object({ spdxId: z.string().nullish() }).nullish(),
  repositoryTopics: z.object({ nodes: z.array(z.object({ topic: z.object({ name: z.string() }) })) }).nullish(),
  isArchived: z.boolean(),
  isFork: z.boolean(),
  pushedAt: z.string().nullish(),
  createdAt: z.string().nullish(),
  homepageUrl: z.string().nullish(),
  defaultBranchRef: z.object({ name: z.string() }).nullish(),
  issues: z.object({ totalCount: z.number().int() }).nullish(),
});

const REPO_FIELDS = `databaseId nameWithOwner description stargazerCount forkCount primaryLanguage { name }
  licenseInfo { spdxId } repositoryTopics(first: 20) { nodes { topic { name } } } isArchived isFork pushedAt createdAt
  homepageUrl defaultBranchRef { name } issues(states: OPEN) { totalCount }`;

/** One query with an aliased `repository` field per reference (variables, never string-built literals). */
export function buildRepositoriesQuery(ownerRepos: readonly string[]): {
  query: string;
  variables: Record<string, string>;
} {
  const variables: Record<string, string> = {};
  const declarations: string[] = [];
  const fields = ownerRepos.map((ownerRepo, index) => {
    const [owner, name] = ownerRepo.split('/');
    variables[`o${index}`] = owner!;
    variables[`n${index}`] = name!;
    declarations.push(`$o${index}: String!`, `$n${index}: String!`);
    return `r${index}: repository(owner: $o${index}, name: $n${index}) { ${REPO_FIELDS} }`;
  });
  return { query: `query(${declarations.join(', ')}) {\n${fields.join('\n')}\n}`, variables };
}

/**
 * Resolves up to 100 references in one GraphQL query (needs a token). A
 * missing repository comes back as a null alias with a NOT_FOUND error; a
 * renamed one resolves to its new name (same databaseId).
 *
 * @returns one entry per input, in order: the repository, or null when GitHub
 * says it does not exist; and the rate-limit budget the response reported.
 */
export async function getReposGraphql(
  http: HttpClient,
  target: GithubTarget,
  ownerRepos: readonly string[],
): Promise<{ repos: Array<GithubRepo | null>; limit: UpstreamLimit | undefined }> {
  if (!target.token) throw new PermanentError('GitHub GraphQL needs GITHUB_TOKEN');
  if (ownerRepos.length > GRAPHQL_BATCH) throw new RangeError(`at most ${GRAPHQL_BATCH} repositories per query`);
  const url = `${target.apiUrl}/graphql`;
  const response = await http.postJson(url, buildRepositoriesQuery(ownerRepos), headersFor(target), {
    passStatuses: PASS,
  });
  if (response.status !== 200) throwGithubRefusal(response);
  const body = z
    .object({
      data: z.record(z.string(), z.unknown()).nullish(),
      errors: z
        .array(
          z.looseObject({
            type: z.string().optional(),
            path: z.array(z.union([z.string(), z.number()])).optional(),
            message: z.string(),
          }),
        )
        .optional(),
    })
    .safeParse(parseJson(response));
  if (!body.success)
    throw new InvalidPayloadError(`${url}: unexpected GraphQL response: ${body.error.issues[0]?.message}`);
  const { data, errors = [] } = body.data;
  if (errors.some((error) => error.type === 'RATE_LIMITED')) throwGithubRefusal({ ...response, status: 429 });
  const unexpected = errors.filter((error) => error.type !== 'NOT_FOUND');
  if (!data || unexpected.length > 0) {
    throw new TransientError(
      `${url}: GraphQL errors: ${unexpected.map((error) => error.message).join('; ') || 'no data'}`,
    );
  }
  const repos = ownerRepos.map((_, index) => {
    const node = data[`r${index}`];
    if (node === null || node === undefined) return null;
    return fromGraphql(node, `${url} r${index}`);
  });
  return { repos, limit: limitFromHeaders('github', response.headers) };
}

function fromGraphql(node: unknown, where: string): GithubRepo {
  const r = parseRepoPayload(graphqlRepoSchema, node, where);
  return toRepo({
    id: r.databaseId,
    fullName: r.nameWithOwner,
    description: r.description,
    homepage: r.homepageUrl,
    stars: r.stargazerCount,
    forks: r.forkCount,
    openIssues: r.issues?.totalCount,
    language: r.primaryLanguage?.name,
    licenseSpdx: r.licenseInfo?.spdxId,
    defaultBranch: r.defaultBranchRef?.name,
    topics: r.repositoryTopics?.nodes.map((node) => node.topic.name),
    archived: r.isArchived,
    fork: r.isFork,
    createdAt: r.createdAt,
    pushedAt: r.pushedAt,
  });
}

function parseJson(response: HttpResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch (error) {
    throw new InvalidPayloadError(`${response.url}: body is not JSON: ${(error as Error).message}`);
  }
}
