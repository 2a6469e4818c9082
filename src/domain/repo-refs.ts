import type { PaperRecord } from './paper.ts';

/**
 * Code-repository references of a paper, normalised to `owner/repo`. Pure.
 *
 * Real values arrive messy: trailing slashes (also `//`, `///`), `.git`,
 * `/tree/main/...`, `?tab=...`, `#readme`, sentence punctuation after a link
 * in an abstract, and whitespace or a newline inside the URL (a real value is
 * `https://github.com/\nFightingFighting/NeuroAda.git`), while a field holding
 * two URLs, one per line, names two repositories. Anything that is
 * not a repository (an organisation page, /features, /sponsors, a gist, a
 * user page, GitHub Pages) is rejected, never guessed at.
 */

/** Where in a paper's record the reference was found (stored as `paper_repos.source`). */
export type RepoRefFoundIn = 'github_repo' | 'project_page' | 'abstract';

export interface RepoRef {
  /** Lower-cased `owner/repo`: GitHub names are case-insensitive, so this is the key. */
  ref: string;
  /** `owner/repo` as written, for display until GitHub returns the canonical name. */
  display: string;
  foundIn: RepoRefFoundIn;
}

const GITHUB_URL = /^(?:https?:)?\/*(?:www\.)?github\.com\/+(.*)$/i;
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}>'"»”’*]+$/;
/** First path segments that are GitHub's own pages, not users or organisations. */
// A word list reads better packed than one word per line:
// prettier-ignore
const RESERVED_OWNERS = new Set([
  'about', 'apps', 'codespaces', 'collections', 'contact', 'customer-stories', 'enterprise', 'events', 'explore',
  'features', 'issues', 'login', 'marketplace', 'new', 'notifications', 'orgs', 'organizations', 'pricing', 'pulls',
  'readme', 'search', 'security', 'settings', 'site', 'sponsors', 'team', 'topics', 'trending', 'users',
]);

/**
 * @returns `{ ref, display }` for a GitHub repository URL (or `github.com/owner/repo`
 * without scheme), or undefined when the value is not a repository.
 */
export function normalizeGithubRepo(value: string): Omit<RepoRef, 'foundIn'> | undefined {
  // Two URLs are two repositories, not one: gluing them made `foo/barhttps`.
  if (splitUrls(value).length > 1) return undefined;
  const compact = value.replace(/\s+/g, '');
  const match = GITHUB_URL.exec(compact);
  if (!match) return undefined;
  const path = (match[1] ?? '').split(/[?#]/)[0]!;
  const [owner, rawRepo] = path.split('/').filter(Boolean);
  if (!owner || !rawRepo || !OWNER.test(owner) || RESERVED_OWNERS.has(owner.toLowerCase())) return undefined;
  const repo = rawRepo
    .replace(TRAILING_PUNCTUATION, '')
    .replace(/\.git$/i, '')
    .replace(TRAILING_PUNCTUATION, '');
  if (!REPO.test(repo) || repo === '.' || repo === '..') return undefined;
  return { ref: `${owner}/${repo}`.toLowerCase(), display: `${owner}/${repo}` };
}

// White space that starts another URL: a break inside one URL (after "github.com/") is only a line wrap.
const BEFORE_ANOTHER_URL = /\s+(?=(?:https?:)?\/\/|(?:www\.)?github\.com\/)/i;

/** The URLs of a field that may hold several, one per line or separated by spaces. */
function splitUrls(value: string): string[] {
  return value
    .trim()
    .split(BEFORE_ANOTHER_URL)
    .filter((url) => url !== '');
}

// A github.com link inside running text; an arXiv line wrap may sit right after "github.com/".
const LINK_IN_TEXT = /(?:https?:\/\/)?(?:www\.)?(?<![\w.-])github\.com\/+\s*[^\s/]+\/+[^\s]+/gi;

/** Every repository a paper points to, each once (the first place listed wins). */
export function extractRepoRefs(paper: Pick<PaperRecord, 'raw' | 'projectPage' | 'abstract'>): RepoRef[] {
  const raw = paper.raw as { paper?: { githubRepo?: unknown; summary?: unknown } } | undefined;
  const candidates: Array<[string, RepoRefFoundIn]> = [];
  // A field naming two repositories (one per line) keeps both, in order: both are links the authors
  // gave, and paper_overview picks the most starred of a paper's github_repo refs. Taking the first
  // only would drop a real repository for no reason but the field's singular name.
  if (typeof raw?.paper?.githubRepo === 'string')
    for (const url of splitUrls(raw.paper.githubRepo)) candidates.push([url, 'github_repo']);
  if (paper.projectPage) for (const url of splitUrls(paper.projectPage)) candidates.push([url, 'project_page']);
  const text = typeof raw?.paper?.summary === 'string' ? raw.paper.summary : (paper.abstract ?? '');
  for (const link of text.match(LINK_IN_TEXT) ?? []) candidates.push([link, 'abstract']);
  const refs = new Map<string, RepoRef>();
  for (const [value, foundIn] of candidates) {
    const normalized = normalizeGithubRepo(value);
    if (normalized && !refs.has(normalized.ref)) refs.set(normalized.ref, { ...normalized, foundIn });
  }
  return [...refs.values()];
}
