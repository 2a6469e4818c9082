import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRequestSchema } from '../../src/domain/backfill-plan.ts';
import { enqueueBackfill } from '../../src/queue/backfill-status.ts';
import { QUEUES } from '../../src/queue/contracts.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { runCli } from '../support/cli.ts';
import { AUTH } from '../support/dashboard-credentials.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { FakeGithub } from '../support/fake-github.ts';
import { openApiChecker, type OpenApiDocument } from '../support/openapi.ts';
import { configOf, openQueue, startSignedInService } from '../support/service.ts';
import { readFixture, UpstreamServer } from '../support/upstream-server.ts';

/**
 * /api/openapi.json against the running API: the document is valid OpenAPI
 * 3.1; every documented query parameter, set to its documented example, is
 * taken, and one it does not document is refused; and the API's answers on
 * a real day's papers (a Hugging Face capture, its repositories resolved by
 * a stand-in GitHub) match the documented response schemas.
 */
describe('/api/openapi.json (running dashboard, real CLI ingest, Postgres, Redis)', () => {
  const hf = new UpstreamServer();
  const github = new FakeGithub();
  let db: TestDatabase;
  let service: RunningService;
  let document: OpenApiDocument;
  let backfillId: string;

  beforeAll(async () => {
    await hf.start();
    await github.start();
    hf.route('/papers/date/2024-08-01', { body: readFixture('hf-html/hf-papers-date-2024-08-01.html') });
    db = await createTestDatabase();
    const started = await startSignedInService(db.url, hf.baseUrl, ['dashboard']);
    service = started.service;
    const ingest = await runCli(['ingest', 'day', '2024-08-01'], {
      DATABASE_URL: db.url,
      HF_BASE_URL: hf.baseUrl,
      GITHUB_API_URL: github.baseUrl,
      LOG_LEVEL: 'warn',
    });
    expect(ingest).toMatchObject({ code: 0, stderr: '' });
    // A backfill waiting (no worker runs here): for /api/backfills and /api/backfills/{id}.
    const backfills = await openQueue(configOf(started.env), QUEUES.backfills);
    try {
      const request = backfillRequestSchema.parse({ kind: 'day', from: '2024-08-01', to: '2024-08-02' });
      backfillId = await enqueueBackfill(backfills.queue, request);
    } finally {
      await backfills.close();
    }
    document = (await get('/api/openapi.json')).body as OpenApiDocument;
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    await db?.drop();
    await github.stop();
    await hf.stop();
  });

  async function get(path: string): Promise<{ status: number; type: string | null; body: unknown }> {
    const response = await fetch(`${service.dashboardUrl}${path}`, { headers: AUTH });
    return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
  }

  /** The path with its `{id}` filled in: a paper that was ingested, the backfill queued. */
  const concrete = (template: string) =>
    template
      .replace('/api/papers/{id}', '/api/papers/2407.21783')
      .replace('/api/backfills/{id}', `/api/backfills/${backfillId}`);

  it('is served as JSON behind the credentials, and is valid OpenAPI 3.1', async () => {
    const response = await get('/api/openapi.json');
    expect(response).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect((await fetch(`${service.dashboardUrl}/api/openapi.json`)).status).toBe(401);
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('takes every documented query parameter set to its example, alone, on every path', async () => {
    const checker = openApiChecker(document);
    const asked: string[] = [];
    for (const [template, parameters] of checker.queryParameters()) {
      for (const parameter of parameters) {
        const query = new URLSearchParams({ ...COMPANIONS[parameter.name], [parameter.name]: parameter.example });
        const path = `${concrete(template)}?${query}`;
        const response = await get(path);
        expect({ path, status: response.status, body: response.body }).toMatchObject({ status: 200 });
        expect(checker.responseProblems(template, response.status, response.body), path).toEqual([]);
        asked.push(`${template} ${parameter.name}`);
      }
    }
    // The loop did reach the filters (a document without parameters would pass it vacuously).
    expect(asked).toEqual(
      expect.arrayContaining(['/api/papers min_upvotes', '/api/repos window', '/api/papers cursor']),
    );
  });

  it('refuses a parameter it does not document, on every path, naming it', async () => {
    for (const template of Object.keys(document.paths)) {
      const response = await get(`${concrete(template)}?nope=1`);
      expect({ template, ...response }).toMatchObject({
        status: 400,
        body: { error: expect.stringContaining('nope') },
      });
      expect(openApiChecker(document).responseProblems(template, 400, response.body)).toEqual([]);
    }
  });

  it('answers as the documented response schemas say, on real data', async () => {
    const checker = openApiChecker(document);
    const cases: Array<[string, string]> = [
      ['/api/papers', '/api/papers?limit=100'],
      ['/api/papers', '/api/papers?q=language%20models'],
      ['/api/papers', '/api/papers?day=2024-08-01&has_code=true&limit=2'],
      ['/api/papers/{id}', '/api/papers/2407.21783'],
      ['/api/papers/{id}', '/api/papers/2407.99999'],
      ['/api/repos', '/api/repos?limit=100'],
      ['/api/repos', '/api/repos?rising=true&window=2w'],
      ['/api/backfills', '/api/backfills'],
      ['/api/backfills/{id}', `/api/backfills/${backfillId}`],
      ['/api/backfills/{id}', '/api/backfills/999999'],
      ['/api/papers', '/api/papers?since=2024-08-02&until=2024-08-01'],
    ];
    const statuses: number[] = [];
    for (const [template, path] of cases) {
      const response = await get(path);
      statuses.push(response.status);
      expect(checker.responseProblems(template, response.status, response.body), path).toEqual([]);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 404, 200, 200, 200, 200, 404, 400]);
    // Real rows, not empty pages: what the schemas were checked against.
    const papers = (await get('/api/papers?limit=100')).body as { items: unknown[] };
    const search = (await get('/api/papers?q=language%20models')).body as { items: Array<{ rank: number }> };
    const repos = (await get('/api/repos')).body as { items: unknown[] };
    const rising = (await get('/api/repos?rising=true')).body as { items: unknown[] };
    expect(papers.items).toHaveLength(13);
    expect(search.items.length).toBeGreaterThan(0);
    expect(search.items[0]!.rank).toBeGreaterThan(0);
    expect(repos.items.length).toBeGreaterThan(0);
    expect(rising.items.length).toBeGreaterThan(0);
  });
});

/** The parameters a parameter is taken only with, as its description says: `window` is rising's. */
const COMPANIONS: Record<string, Record<string, string>> = { window: { rising: 'true' } };
