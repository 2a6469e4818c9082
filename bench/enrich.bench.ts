import pg from 'pg';
import { HttpClient } from '../src/http/http-client.ts';
import type { Logger } from '../src/logger.ts';
import { enrichRepos } from '../src/stages/enrich-repos.ts';
import { parseDailyPaperEntries } from '../src/domain/parse-digest.ts';
import { extractRepoRefs } from '../src/domain/repo-refs.ts';
import { FakeGithub } from '../test/support/fake-github.ts';
import { median, type Figure } from './harness.ts';
import { realEntries } from './synthetic-papers.ts';

/**
 * Enrichment of N distinct repositories against the local GitHub stand-in
 * (real repository objects, re-keyed per name): with a token (GraphQL, 100
 * per query) against the same N through REST (one conditional request each)
 * in the same run; then a second pass over the same N with nothing changed,
 * which must write no repository or snapshot row.
 */
export async function benchEnrich(
  pool: pg.Pool,
  options: { count: number; repeats: number; logger: Logger; log: (line: string) => void },
): Promise<Figure[]> {
  const github = await new FakeGithub().start();
  const http = new HttpClient({
    userAgent: 'paperboy-bench',
    timeoutMs: 30_000,
    maxBodyBytes: 20_000_000,
    allowedOrigins: [github.baseUrl],
  });
  const refs = distinctRefs(options.count);
  const deps = (token: string | undefined) => ({
    http,
    pool,
    github: { apiUrl: github.baseUrl, token },
    logger: options.logger,
  });
  try {
    const graphqlRates: number[] = [];
    const restRates: number[] = [];
    let graphqlRequests = 0;
    let firstPassWrites = 0;
    for (let round = 0; round < options.repeats; round += 1) {
      for (const [token, rates] of [
        [undefined, restRates],
        ['ghp_bench', graphqlRates],
      ] as const) {
        await reset(pool, refs);
        const versionsBefore = await rowVersions(pool);
        github.requests.length = 0;
        const started = performance.now();
        const summary = await enrichRepos(deps(token), { pendingOnly: true, limit: refs.length });
        const seconds = (performance.now() - started) / 1000;
        if (summary.resolved !== refs.length)
          throw new Error(`enrich bench: ${JSON.stringify(summary)} for ${refs.length} references`);
        rates.push(refs.length / seconds);
        if (token) graphqlRequests = github.requests.length;
        firstPassWrites = writtenSince(versionsBefore, await rowVersions(pool));
      }
    }
    // A first pass writes a repository and a snapshot each: the count below would see writes if there were any.
    if (firstPassWrites !== 2 * refs.length)
      throw new Error(`enrich bench: a first pass of ${refs.length} wrote ${firstPassWrites} rows`);
    // Second pass, nothing changed upstream: every reference due again.
    await pool.query(`update repo_refs set next_check_at = now() - interval '1 second'`);
    const before = await rowVersions(pool);
    github.requests.length = 0;
    const again = await enrichRepos(deps('ghp_bench'), { limit: refs.length * 2 });
    const written = writtenSince(before, await rowVersions(pool));
    options.log(
      `enrich: second pass checked ${again.checked} references in ${github.requests.length} requests; repository and snapshot rows written: ${written}`,
    );

    const graphqlRate = median(graphqlRates);
    const restRate = median(restRates);
    const expected = Math.ceil(refs.length / 100);
    return [
      {
        name: `enrich: ${refs.length} repositories with a token (GraphQL)`,
        value: graphqlRate,
        unit: 'repos/s',
        baseline: restRate,
        ratio: graphqlRate / restRate,
        target: '-',
        met: null,
        note: `baseline: the same references through REST (one conditional request each, ${3} at a time), same run; median of ${options.repeats}`,
      },
      {
        name: `enrich: requests for ${refs.length} repositories with a token`,
        value: graphqlRequests,
        unit: 'requests',
        baseline: refs.length,
        ratio: refs.length / graphqlRequests,
        target: `${expected} (ceil(N/100))`,
        met: graphqlRequests === expected,
        note: 'baseline: one request per repository (REST)',
      },
      {
        name: `enrich: rows written by a second pass with nothing changed`,
        value: written,
        unit: 'rows',
        baseline: null,
        ratio: null,
        target: '0',
        met: written === 0,
        note: 'repository rows with a new row version (xmin) plus snapshot rows added; each reference records the time of its check, by design',
      },
    ];
  } finally {
    await http.close();
    await github.stop();
  }
}

/** N distinct `owner/repo` references shaped like the real ones: the captures' own, then numbered variants of them. */
function distinctRefs(count: number): string[] {
  const real = [
    ...new Set(
      parseDailyPaperEntries(realEntries(), { url: 'bench' }).papers.flatMap((listed) =>
        extractRepoRefs(listed.paper).map((ref) => ref.display),
      ),
    ),
  ];
  return Array.from({ length: count }, (_, i) =>
    i < real.length ? real[i]! : `${real[i % real.length]!}-${Math.floor(i / real.length)}`,
  );
}

async function reset(pool: pg.Pool, refs: readonly string[]) {
  await pool.query('truncate repos, repo_refs, paper_repos, repo_snapshots cascade');
  await pool.query(
    `insert into repo_refs (ref, display) select lower(display), display from unnest($1::text[]) as display`,
    [refs],
  );
}

/** Every repository's row version (xmin) and the snapshot rows: what a pass wrote is the difference. */
async function rowVersions(pool: pg.Pool): Promise<{ repos: Map<string, string>; snapshots: number }> {
  const repos = await pool.query<{ id: string; xmin: string }>(`select id::text, xmin::text from repos`);
  const snapshots = await pool.query<{ n: number }>(`select count(*)::int as n from repo_snapshots`);
  return { repos: new Map(repos.rows.map((row) => [row.id, row.xmin])), snapshots: snapshots.rows[0]!.n };
}

function writtenSince(
  before: Awaited<ReturnType<typeof rowVersions>>,
  after: Awaited<ReturnType<typeof rowVersions>>,
): number {
  let rewritten = 0;
  for (const [id, xmin] of after.repos) if (before.repos.get(id) !== xmin) rewritten += 1;
  return rewritten + (after.snapshots - before.snapshots);
}
