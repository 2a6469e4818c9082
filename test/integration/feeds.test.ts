import { load } from 'cheerio';
import { XMLValidator } from 'fast-xml-parser';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPapers } from '../../src/db/query.repository.ts';
import { cdataText, paperEntryId, xmlText } from '../../src/domain/feed-entries.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/service/run-service.ts';
import { runCli } from '../support/cli.ts';
import { AUTH } from '../support/dashboard-credentials.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { API_2026_07_31_EARLY, API_2026_07_31_LATER, apiEntries } from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';
import { configOf, serviceEnv, startSignedInService } from '../support/service.ts';
import { readFixture, UpstreamServer } from '../support/upstream-server.ts';

const SEARCH = 'diffusion';

/** The hostile titles of security.test.ts, and what else XML and HTML give a meaning to. */
const HOSTILE_TITLES = [
  `'); DROP TABLE papers; --`,
  `back\\slash "quoted" 'single'`,
  `nul\u0000byte and a lone \ud800 surrogate`,
  `<script>alert("x")</script> &amp; & a]]>b]]>c`,
  `bell\u0007 and <![CDATA[ inside ]]> text`,
];

type Format = 'atom' | 'rss' | 'json';
const FORMATS: Format[] = ['atom', 'rss', 'json'];

interface ParsedEntry {
  id: string;
  title: string;
}

/** A feed's entries as an independent parser reads them: ids and titles, in document order. */
function parseEntries(format: Format, body: string): ParsedEntry[] {
  if (format === 'atom')
    return (parseAtomFeed(body).entries ?? []).map((entry) => ({
      id: entry.id!,
      // The library declares Atom titles type="html": a reader decodes them as HTML.
      title: entry.title?.type === 'html' ? load(entry.title.value ?? '', null, false).text() : entry.title!.value,
    }));
  if (format === 'rss')
    return (parseRssFeed(body).items ?? []).map((item) => ({ id: item.guid!.value!, title: item.title! }));
  return (parseJsonFeed(JSON.parse(body)).items ?? []).map((item) => ({ id: item.id!, title: item.title! }));
}

describe('feeds: Atom, RSS and JSON Feed of any filter and of each saved search (real CLI, Postgres, dashboard)', () => {
  const hf = new UpstreamServer();
  let db: TestDatabase;
  let service: RunningService;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    await hf.start();
    const hostile = apiEntries('hf-api-daily_papers-2025-10-08.json');
    HOSTILE_TITLES.forEach((title, index) => {
      hostile[index]!.title = title;
      hostile[index]!.paper.title = title;
    });
    hf.route('/papers/date/2024-08-01', { body: readFixture('hf-html/hf-papers-date-2024-08-01.html') })
      .route('/papers/date/2025-10-08', { body: buildListPage({ entries: hostile, date: '2025-10-08' }) })
      .route('/papers/date/2026-07-31', {
        body: buildListPage({ entries: apiEntries(API_2026_07_31_EARLY), date: '2026-07-31' }),
      })
      .route(`/papers?q=${SEARCH}`, {
        body: buildListPage({ entries: apiEntries('hf-api-daily_papers-2025-06-25.json'), date: '2025-06-25' }),
      });
    db = await createTestDatabase();
    cliEnv = { DATABASE_URL: db.url, HF_BASE_URL: hf.baseUrl, LOG_LEVEL: 'warn' };
    for (const args of [
      ['day', '2024-08-01'],
      ['day', '2025-10-08'],
      ['day', '2026-07-31'],
      ['search', SEARCH],
    ]) {
      expect(await runCli(['ingest', ...args, '--no-enrich'], cliEnv)).toMatchObject({ code: 0, stderr: '' });
    }
    ({ service } = await startSignedInService(db.url, hf.baseUrl, ['dashboard'], {
      extraEnv: { PAPERBOY_SAVED_SEARCHES: `${SEARCH}, never ingested` },
    }));
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    await db?.drop();
    await hf.stop();
  });

  const get = (path: string, headers: Record<string, string> = AUTH) =>
    fetch(`${service.dashboardUrl}${path}`, { headers });

  async function feed(format: Format, path: string, headers: Record<string, string> = AUTH): Promise<ParsedEntry[]> {
    const response = await get(path, headers);
    expect(response.status, path).toBe(200);
    expect(response.headers.get('content-type')).toContain(
      { atom: 'atom+xml', rss: 'rss+xml', json: 'feed+json' }[format],
    );
    return parseEntries(format, await response.text());
  }

  /** The database's answer, by its own SQL: papers by latest listing date, then upvotes, then id. */
  async function expected(where = 'true', params: unknown[] = []): Promise<ParsedEntry[]> {
    const { rows } = await db.pool.query<{ id: string; title: string }>(
      `select p.id, p.title from papers p
       join (select paper_id, max(listed_on) as listed_on from listings group by paper_id) l on l.paper_id = p.id
       where ${where}
       order by l.listed_on desc, p.upvotes desc, p.id`,
      params,
    );
    return rows.map((row) => ({ id: paperEntryId(row.id), title: row.title }));
  }

  /** A title as each format carries it: XML cannot carry some characters; see domain/feed-entries.ts. */
  const asCarried = (format: Format, title: string) =>
    format === 'json' ? title : format === 'rss' ? cdataText(xmlText(title)) : xmlText(title);

  it('every format carries the newest-listed papers, 50 by default, as the database has them', async () => {
    const all = await expected();
    expect(all.length).toBeGreaterThan(50);
    for (const format of FORMATS) {
      const entries = await feed(format, `/feeds/papers.${format}`);
      expect(entries, format).toEqual(
        all.slice(0, 50).map((entry) => ({ ...entry, title: asCarried(format, entry.title) })),
      );
      expect(await feed(format, `/feeds/papers.${format}?limit=7`)).toHaveLength(7);
    }
  });

  it('a filter combination gives the papers findPapers gives for it, newest listing first', async () => {
    for (const query of ['min_upvotes=20&has_code=false', 'day=2024-08-01&min_upvotes=10', 'q=video&limit=100']) {
      const filters = Object.fromEntries(new URLSearchParams(query)) as Record<string, string>;
      const found = await findPapers(
        db.pool,
        {
          day: filters.day,
          q: filters.q,
          min_upvotes: filters.min_upvotes === undefined ? undefined : Number(filters.min_upvotes),
          has_code: filters.has_code === undefined ? undefined : filters.has_code === 'true',
        },
        { limit: 100 },
      );
      expect(found.length, query).toBeGreaterThan(0);
      const entries = await feed('json', `/feeds/papers.json?${query}`);
      expect(entries.map((entry) => entry.id).sort(), query).toEqual(found.map((row) => paperEntryId(row.id)).sort());
      const order = (await expected('p.id = any($1)', [found.map((row) => row.id)])).map((entry) => entry.id);
      expect(entries.map((entry) => entry.id)).toEqual(order.slice(0, entries.length));
    }
  });

  it("a saved search's feed carries the papers it listed; a search not configured is a 404", async () => {
    const listed = await expected(`p.id in (select paper_id from listings where kind = 'search' and key = $1)`, [
      SEARCH,
    ]);
    expect(listed.length).toBeGreaterThan(5);
    for (const format of FORMATS) {
      const entries = await feed(format, `/feeds/searches/${SEARCH}.${format}`);
      expect(entries.map((entry) => entry.id)).toEqual(listed.map((entry) => entry.id));
    }
    expect((await get('/feeds/searches/never%20ingested.atom')).status).toBe(200);
    expect((await get('/feeds/searches/other.atom')).status).toBe(404);
    expect((await get('/feeds/nothing.atom')).status).toBe(404);
  });

  it('a bad parameter is a 400 naming it', async () => {
    for (const [query, name] of [
      ['min_upvotes=many', 'min_upvotes'],
      ['limit=101', 'limit'],
      ['cursor=x', 'cursor'],
      ['day=2024-08-01&day=2024-08-02', 'day'],
    ] as const) {
      const response = await get(`/feeds/papers.atom?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.text()).toContain(name);
    }
    expect((await get(`/feeds/searches/${SEARCH}.rss?min_upvotes=1`)).status).toBe(400);
  });

  it('hostile titles come out as well-formed XML and valid JSON, escaped once', async () => {
    const { rows } = await db.pool.query<{ id: string; title: string }>(
      `select id, title from papers where id = any($1)`,
      [
        apiEntries('hf-api-daily_papers-2025-10-08.json')
          .slice(0, HOSTILE_TITLES.length)
          .map((e) => e.paper.id),
      ],
    );
    expect(rows.map((row) => row.title).sort()).toEqual(
      HOSTILE_TITLES.map((title) => title.replace('\u0000', '\ufffd').replace('\ud800', '\ufffd')).sort(),
    );
    for (const format of FORMATS) {
      const response = await get(`/feeds/papers.${format}?day=2025-10-08&limit=100`);
      const body = await response.text();
      if (format === 'json') expect(() => JSON.parse(body) as unknown).not.toThrow();
      else expect(XMLValidator.validate(body), format).toBe(true);
      const titles = new Map(parseEntries(format, body).map((entry) => [entry.id, entry.title]));
      for (const row of rows) expect(titles.get(paperEntryId(row.id)), format).toBe(asCarried(format, row.title));
    }
    // What XML cannot carry, and nothing else, differs from the stored text.
    expect(asCarried('atom', HOSTILE_TITLES[4]!)).toBe(`bell\ufffd and <![CDATA[ inside ]]> text`);
  });

  it('a second poll with the validators is a 304; a change of upvotes a 200 with a new ETag', async () => {
    const path = '/feeds/papers.atom?day=2026-07-31';
    const first = await get(path);
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).toMatch(/^"atom-/);
    expect(first.headers.get('cache-control')).toBe('private, max-age=300');
    const again = await get(path, { ...AUTH, 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await get(path, { ...AUTH, 'if-modified-since': lastModified })).status).toBe(304);
    // The other formats and queries have ETags of their own.
    expect((await get('/feeds/papers.rss?day=2026-07-31', { ...AUTH, 'if-none-match': etag })).status).toBe(200);

    hf.route('/papers/date/2026-07-31', {
      body: buildListPage({ entries: apiEntries(API_2026_07_31_LATER), date: '2026-07-31' }),
    });
    expect(await runCli(['ingest', 'day', '2026-07-31', '--no-enrich', '--force'], cliEnv)).toMatchObject({ code: 0 });
    const changed = await get(path, { ...AUTH, 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(Date.parse(changed.headers.get('last-modified')!)).toBeGreaterThan(Date.parse(lastModified));
  });

  it("a feed's token opens that feed and nothing else; the page listing the tokens needs the credentials", async () => {
    expect((await get('/feeds', {})).status).toBe(401);
    const page = await (await get('/feeds')).text();
    const urls = load(page)('a[href*="/feeds/"]')
      .map((_, a) => load(page)(a).attr('href'))
      .get();
    // All papers and the example, three formats each; each saved search, three formats.
    expect(urls).toHaveLength(12);
    expect(urls.every((url) => /[?&]token=[\w-]{43}$/.test(url))).toBe(true);
    const atom = new URL(urls.find((url) => url.includes(`/searches/${SEARCH}.atom`))!);
    const token = atom.searchParams.get('token')!;
    expect((await get(`${atom.pathname}${atom.search}`, {})).status).toBe(200);
    // Basic auth still works, and the token is checked only as a token.
    expect((await get(atom.pathname)).status).toBe(200);
    for (const elsewhere of [
      `/feeds/searches/${SEARCH}.rss?token=${token}`,
      `/feeds/searches/never%20ingested.atom?token=${token}`,
      `/feeds/papers.atom?token=${token}`,
      `/feeds/searches/${SEARCH}.atom?limit=5&token=${token}`,
      `/feeds/searches/${SEARCH}.atom?token=${token}&token=${token}`,
      `/feeds/searches/${SEARCH}.atom?token=${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      `/feeds/searches/${SEARCH}.atom`,
      `/feeds?token=${token}`,
      `/api/papers?token=${token}`,
      `/api/papers/2407.21783?token=${token}`,
      `/backfills?token=${token}`,
      `/queues?token=${token}`,
    ]) {
      expect((await get(elsewhere, {})).status, elsewhere).toBe(401);
    }
    // Read-only: a write with a token is a write without credentials.
    expect((await fetch(`${service.dashboardUrl}${atom.pathname}${atom.search}`, { method: 'POST' })).status).toBe(401);
    // The parameters' order does not matter: the token signs them sorted.
    const example = new URL(urls.find((url) => url.includes('papers.json?'))!);
    const reversed = new URLSearchParams([...example.searchParams].reverse());
    expect((await get(`${example.pathname}?${reversed}`, {})).status).toBe(200);
  });
});

describe('feeds of a dashboard without credentials', () => {
  let db: TestDatabase;
  let service: RunningService;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startService(
      new Set(['dashboard']),
      configOf(serviceEnv(db.url, 'http://127.0.0.1:9', { PAPERBOY_SAVED_SEARCHES: SEARCH })),
      createLogger({ level: 'warn', pretty: false }),
    );
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    await db?.drop();
  });

  it('need no token, and the page shows none', async () => {
    const page = await (await fetch(`${service.dashboardUrl}/feeds`)).text();
    expect(page).toContain(`/feeds/searches/${SEARCH}.atom`);
    expect(page).not.toContain('token=');
    const response = await fetch(`${service.dashboardUrl}/feeds/searches/${SEARCH}.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ version: 'https://jsonfeed.org/version/1.1', items: [] });
  });
});
