import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { QUEUES } from '../../src/queue/contracts.ts';
import { BROKEN_DAY, routeBackfillDays } from '../support/backfill-days.ts';
import { runCli } from '../support/cli.ts';
import { startLocalServer } from '../support/local-server.ts';
import { configOf, openQueue, serviceEnv } from '../support/service.ts';
import { serviceSuite } from '../support/service-suite.ts';
import { AUTH, basic, PASSWORD, USER } from '../support/dashboard-credentials.ts';
import { formToken, postForm } from '../support/dashboard-forms.ts';

describe('the dashboard: Bull Board, /backfills and their guards', () => {
  const suite = serviceSuite();
  const { hf } = suite;

  beforeAll(() => {
    routeBackfillDays(hf);
  });

  async function startDashboard(
    extra: Record<string, string> = {},
    roles: Array<'worker' | 'dashboard'> = ['dashboard'],
  ) {
    const env = serviceEnv(suite.db.url, hf.baseUrl, { DASHBOARD_USER: USER, DASHBOARD_PASSWORD: PASSWORD, ...extra });
    const service = await suite.startService(roles, env);
    const backfills = await openQueue(configOf(env), QUEUES.backfills);
    suite.closeAfterTest(backfills.close);
    const url = service.dashboardUrl!;
    return { url, backfills, origin: url };
  }

  it('asks for credentials everywhere but /healthz and /metrics', async () => {
    const { url } = await startDashboard();
    for (const path of [
      '/backfills',
      '/backfills/list',
      '/queues',
      '/queues/api/queues',
      '/api/papers',
      '/api/backfills',
      '/',
    ]) {
      const anonymous = await fetch(`${url}${path}`, { redirect: 'manual' });
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="paperboy dashboard"/);
      expect(
        (
          await fetch(`${url}${path}`, {
            redirect: 'manual',
            headers: { authorization: basic(USER, 'wrong password!') },
          })
        ).status,
        path,
      ).toBe(401);
      expect((await fetch(`${url}${path}`, { redirect: 'manual', headers: AUTH })).status, path).toBeLessThan(400);
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });

  it('creates a backfill from a same-origin form post with its token, and refuses forged ones', async () => {
    const { url, backfills, origin } = await startDashboard();
    const token = await formToken(url);
    const fields = { csrf: token, kind: 'day', from: '2024-08-01', to: '2024-08-10', via: 'html' };

    const refused = [
      await postForm(url, '/backfills', fields, { ...AUTH, origin: 'http://evil.example' }),
      await postForm(url, '/backfills', fields, {
        ...AUTH,
        'sec-fetch-site': 'cross-site',
        origin: 'http://evil.example',
      }),
      await postForm(url, '/backfills', fields, { ...AUTH }),
      await postForm(url, '/backfills', { ...fields, csrf: 'forged' }, { ...AUTH, origin }),
      await postForm(url, '/backfills', { kind: 'day', from: '2024-08-01', to: '2024-08-10' }, { ...AUTH, origin }),
    ];
    expect(refused.map((response) => response.status)).toEqual([403, 403, 403, 403, 403]);
    expect(await refused[0]!.text()).toMatch(/cross-site request refused \(Origin: http:\/\/evil.example\)/);
    expect(await backfills.queue.count()).toBe(0);

    const created = await postForm(url, '/backfills', fields, { ...AUTH, origin });
    expect(created.status).toBe(303);
    const location = created.headers.get('location')!;
    expect(location).toMatch(/^\/backfills\?created=\d+$/);
    const [job] = await backfills.queue.getJobs(['waiting']);
    expect(job!.data).toEqual({
      kind: 'day',
      from: '2024-08-01',
      to: '2024-08-10',
      force: false,
      via: 'html',
      details: false,
    });
    const page = await (await fetch(`${url}${location}`, { headers: AUTH })).text();
    expect(page).toContain(`Backfill #${job!.id} queued.`);
    expect(page).toContain(`#${job!.id} day 2024-08-01 → 2024-08-10 via HTML pages`);

    // The form's "then each listed paper's own page" box.
    const withDetails = await postForm(url, '/backfills', { ...fields, details: 'on' }, { ...AUTH, origin });
    expect(withDetails.status).toBe(303);
    const id = /created=(\d+)/.exec(withDetails.headers.get('location')!)![1]!;
    expect((await backfills.queue.getJob(id))!.data).toMatchObject({ details: true });
    const listed = await (await fetch(`${url}/backfills`, { headers: AUTH })).text();
    expect(listed).toContain(`#${id} day 2024-08-01 → 2024-08-10 via HTML pages, with paper pages`);
  });

  it('answers a bad range on the form with the reason and the fields kept, and queues nothing', async () => {
    const { url, backfills, origin } = await startDashboard({ PAPERBOY_BACKFILL_MAX_KEYS: '30' });
    const token = await formToken(url);
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { kind: 'day', from: '2024-08-10', to: '2024-08-01' },
        /&#34;to&#34; \(2024-08-01\) is before &#34;from&#34; \(2024-08-10\)/,
      ],
      [{ kind: 'day', from: '2024-01-01', to: '2024-03-01' }, /holds more than 30 day keys/],
      [{ kind: 'month', from: '2024-13', to: '2024-14' }, /a month such as 2024-08/],
      [{ kind: 'decade', from: '2024-01', to: '2024-02' }, /kind: Invalid option/],
    ];
    for (const [fields, reason] of cases) {
      const response = await postForm(url, '/backfills', { csrf: token, ...fields }, { ...AUTH, origin });
      expect(response.status).toBe(400);
      const page = await response.text();
      expect(page).toMatch(reason);
      expect(page).toContain(`value="${fields.from}"`);
    }
    expect(await backfills.queue.count()).toBe(0);
  });

  it('shows a finished backfill with its counts and failed keys, and Bull Board lists the four queues', async () => {
    const { url, backfills, origin } = await startDashboard({}, ['worker', 'dashboard']);
    const token = await formToken(url);
    await postForm(
      url,
      '/backfills',
      { csrf: token, kind: 'day', from: '2024-08-01', to: '2024-08-10', via: 'html' },
      { ...AUTH, origin },
    );
    const [job] = await backfills.queue.getJobs(['waiting', 'active', 'waiting-children']);
    await backfills.settled(job!, 60_000);

    const status = (await (await fetch(`${url}/api/backfills/${job!.id}`, { headers: AUTH })).json()) as {
      keys: Array<{ key: string }>;
    };
    expect(status).toMatchObject({
      state: 'completed',
      job_state: 'completed',
      done: 10,
      total: 10,
      counts: { loaded: 7, empty: 2, failed: 1, skipped: 0, cancelled: 0, not_modified: 0 },
      failed: [{ key: BROKEN_DAY }],
    });
    expect(status.keys).toHaveLength(10);
    expect(status.keys.find((key: { key: string }) => key.key === BROKEN_DAY)).toEqual({
      key: BROKEN_DAY,
      status: 'failed',
      papers: null,
      error: expect.stringMatching(/no DailyPapers data-props blob/),
      job: null,
    });
    const list = await (await fetch(`${url}/backfills/list`, { headers: AUTH })).text();
    expect(list).toContain('aria-valuenow="100"');
    expect(list).toContain('10/10 keys done (100%)');
    expect(list).toContain(`<code>${BROKEN_DAY}</code>`);
    expect(list).toMatch(/loaded 7<\/span>.*empty 2<\/span>.*failed 1<\/span>/s);
    expect(list.match(/<tr class=/g)?.length).toBe(10);
    // The script's refresh names the key tables it has open: only theirs are filled in; ids that are not
    // backfills' are ignored.
    const keyRows = async (open: string) =>
      (await (await fetch(`${url}/backfills/list?open=${open}`, { headers: AUTH })).text()).match(/<tr class=/g)
        ?.length ?? 0;
    expect(await keyRows('')).toBe(0);
    expect(await keyRows(encodeURIComponent(`meta,${job!.id},x`))).toBe(10);

    const queues = (await (await fetch(`${url}/queues/api/queues`, { headers: AUTH })).json()) as {
      queues: Array<{ name: string }>;
    };
    expect(queues.queues.map((queue: { name: string }) => queue.name).sort()).toEqual([
      'backfills',
      'digests',
      'digests-api',
      'repos',
    ]);
    const schema = (await (
      await fetch(`${url}/queues/api/queues/backfills/job-data-schema`, { headers: AUTH })
    ).json()) as { examples: unknown[] };
    expect(schema).toMatchObject({
      type: 'object',
      required: ['kind', 'from', 'to'],
      properties: { kind: { enum: ['day', 'week', 'month'] } },
    });
    expect(schema.examples[0]).toMatchObject({ kind: 'day', force: false });
  });

  it('lets Bull Board add a backfill from the same origin only', async () => {
    const { url, backfills, origin } = await startDashboard();
    const add = (headers: Record<string, string>) =>
      fetch(`${url}/queues/api/queues/backfills/add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH, ...headers },
        body: JSON.stringify({
          name: 'backfill',
          data: { kind: 'week', from: '2024-W30', to: '2024-W32' },
          options: {},
        }),
      });
    expect((await add({ origin: 'http://evil.example' })).status).toBe(403);
    expect(await backfills.queue.count()).toBe(0);
    expect((await add({ origin })).status).toBe(200);
    const [job] = await backfills.queue.getJobs(['waiting']);
    expect(job!.data).toEqual({ kind: 'week', from: '2024-W30', to: '2024-W32' });
  });

  it('refuses every write in read-only mode, and hides the form', async () => {
    const { url, backfills, origin } = await startDashboard({ DASHBOARD_READ_ONLY: 'true' });
    const page = await (await fetch(`${url}/backfills`, { headers: AUTH })).text();
    expect(page).not.toContain('<form method="post"');
    expect(page).toContain('Read-only mode');
    const writes = [
      await postForm(url, '/backfills', { kind: 'day', from: '2024-08-01', to: '2024-08-02' }, { ...AUTH, origin }),
      await fetch(`${url}/queues/api/queues/backfills/add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH, origin },
        body: JSON.stringify({
          name: 'backfill',
          data: { kind: 'day', from: '2024-08-01', to: '2024-08-02' },
          options: {},
        }),
      }),
      await fetch(`${url}/queues/api/queues/pause`, { method: 'PUT', headers: { ...AUTH, origin } }),
    ];
    expect(writes.map((response) => response.status)).toEqual([403, 403, 403]);
    expect(await writes[0]!.text()).toMatch(/read-only \(DASHBOARD_READ_ONLY\)/);
    expect(await backfills.queue.count()).toBe(0);
    expect(await backfills.queue.isPaused()).toBe(false);
  });

  it('refuses to start on a non-loopback address without credentials', async () => {
    const env = serviceEnv(suite.db.url, hf.baseUrl, { DASHBOARD_HOST: '0.0.0.0' });
    const error = await suite.startService(['dashboard'], env).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /DASHBOARD_HOST: 0\.0\.0\.0 is not a loopback address; set DASHBOARD_USER and DASHBOARD_PASSWORD/,
    );
  });

  it('exits 1 with one line naming the host and port when the port is in use', async () => {
    const occupant = await startLocalServer((_request, response) => response.end());
    try {
      const port = new URL(occupant.baseUrl).port;
      const result = await runCli(['dashboard'], serviceEnv(suite.db.url, hf.baseUrl, { DASHBOARD_PORT: port }));
      expect({ code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({
        code: 1,
        stderr: `paperboy: error: cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE); stop what uses it or set DASHBOARD_PORT\n`,
        stdout: '',
      });
      // An address not on this machine (TEST-NET-1) fails the same way, naming the variable to fix.
      const elsewhere = await runCli(
        ['dashboard'],
        serviceEnv(suite.db.url, hf.baseUrl, {
          DASHBOARD_HOST: '192.0.2.1',
          DASHBOARD_PORT: port,
          DASHBOARD_USER: USER,
          DASHBOARD_PASSWORD: PASSWORD,
        }),
      );
      expect({ code: elsewhere.code, stderr: elsewhere.stderr }).toEqual({
        code: 1,
        stderr: `paperboy: error: cannot listen on 192.0.2.1:${port}: the address is not one of this machine (EADDRNOTAVAIL); set DASHBOARD_HOST\n`,
      });
    } finally {
      await occupant.close();
    }
  });

  it('without credentials, answers only to localhost names (no DNS rebinding)', async () => {
    const env = serviceEnv(suite.db.url, hf.baseUrl);
    const service = await suite.startService(['dashboard'], env);
    const port = new URL(service.dashboardUrl!).port;
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        import('node:http').then(
          ({ request }) =>
            request({ host: '127.0.0.1', port, path: '/backfills', headers: { host } }, (response) => {
              response.resume();
              resolve(response.statusCode!);
            })
              .on('error', reject)
              .end(),
          reject,
        );
      });
    expect(await get(`127.0.0.1:${port}`)).toBe(200);
    expect(await get(`localhost:${port}`)).toBe(200);
    expect(await get(`rebound.evil.example:${port}`)).toBe(421);
  });
});
