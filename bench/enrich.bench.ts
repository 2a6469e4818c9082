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
export async function benchEnrich(pool: pg.Pool, options: { count: number; repeats: number; logger: Logger; log: (line: string) => void }): Promise<Figure[]> {
  const github = await new FakeGithub().start();
  const http = new HttpClient({ userAgent: 'paperboy-bench', timeoutMs: 30_000, maxBodyBytes: 20_000_000, allowedOrigins: [github.baseUrl] });
  const refs = distinctRefs(options.count);
  const deps = (token: string | undefined) => ({ http, pool, github: { apiUrl: github.baseUrl, token }, logger: options.logger });
  try {
    const graphqlRates: number[] = [];
    const restRates: number[] = [];
    let graphqlRequests = 0;
    let firstPassWrites = 0;
    for (let round = 0; round < options.repeats; round += 1) {
      for (const [token, rates] of [[undefined, restRates], ['ghp_bench', graphqlRates]] as const) {
        await reset(pool, refs);
        const writesBefore = await writesTo(pool);
        github.requests.length = 0;
        const started = performance.now();
        const summary = await enrichRepos(deps(token), { pendingOnly: true, limit: refs.length });
        const seconds = (performance.now() - started) / 1000;
        if (summary.resolved !== refs.length) throw new Error(`enrich bench: ${JSON.stringify(summary)} for ${refs.length} references`);
        rates.push(refs.length / seconds);
        if (token) graphqlRequests = github.requests.length;
        firstPassWrites = (await writesTo(pool)) - writesBefore;
      }
    }
    // The counters must see a pass that does write (a repository and a snapshot each), or a 0 below would mean nothing.
    if (firstPassWrites < 2 * refs.length) throw new Error(`enrich bench: the statistics show ${firstPassWrites} rows written by a first pass of ${refs.length}`);
    // Second pass, nothing changed upstream: every reference due again.
    await pool.query(`update repo_refs set next_check_at = now() - interval '1 second'`);
    const before = await writesTo(pool);
    github.requests.length = 0;
    const again = await enrichRepos(deps('ghp_bench'), { limit: refs.length * 2 });
    const written = (await writesTo(pool)) - before;
    options.log(`enrich: second pass checked ${again.checked} references in ${github.requests.length} requests; repository and snapshot rows written: ${written}`);

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
        note: 'n_tup_ins + n_tup_upd of repos and repo_snapshots (each reference records the time of its check, by design)',
      },
    ];
  } finally {
    await http.close();
    await github.stop();
  }
}

/** N distinct `owner/repo` references shaped like the real ones: the captures' own, then numbered variants of them. */
function distinctRefs(count: number): string[] {
  const real = [...new Set(parseDailyPaperEntries(realEntries(), { url: 'bench' }).papers.flatMap((listed) => extractRepoRefs(listed.paper).map((ref) => ref.display)))];
  return Array.from({ length: count }, (_, i) => (i < real.length ? real[i]! : `${real[i % real.length]!}-${Math.floor(i / real.length)}`));
}

async function reset(pool: pg.Pool, refs: readonly string[]) {
  await pool.query('truncate repos, repo_refs, paper_repos, repo_snapshots cascade');
  await pool.query(`insert into repo_refs (ref, display) select lower(display), display from unnest($1::text[]) as display`, [refs]);
}

async function writesTo(pool: pg.Pool): Promise<number> {
  // The statistics collector is asynchronous: flush this backend's counters and read fresh ones.
  await pool.query('select pg_stat_force_next_flush()').catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const { rows } = await pool.query<{ n: string }>(
    `select coalesce(sum(n_tup_ins + n_tup_upd), 0) as n from pg_stat_user_tables where relname in ('repos', 'repo_snapshots')`,
  );
  return Number(rows[0]!.n);
}
