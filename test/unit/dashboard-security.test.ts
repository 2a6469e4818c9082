import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { renderBackfillsPage } from '../../src/dashboard/backfill-page.ts';
import {
  assertSafeBinding,
  checkCredentials,
  checkWrite,
  createCsrfTokens,
  isLoopbackHost,
} from '../../src/dashboard/security.ts';
import type { BackfillStatus } from '../../src/queue/backfill-status.ts';

const request = (headers: Record<string, string>, method = 'POST') =>
  ({ method, headers }) as unknown as IncomingMessage;
const withCredentials = { credentials: { user: 'ops', password: 'long enough' }, readOnly: false };
const open = { credentials: undefined, readOnly: false };
const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

describe('dashboard guards', () => {
  it('tells loopback hosts from others', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com', '127.0.0.1.evil.example'].some(isLoopbackHost)).toBe(false);
    expect(() => assertSafeBinding('0.0.0.0', open)).toThrow(ConfigError);
    expect(() => assertSafeBinding('0.0.0.0', withCredentials)).not.toThrow();
    expect(() => assertSafeBinding('127.0.0.1', open)).not.toThrow();
  });

  it('checks basic credentials exactly', () => {
    expect(
      checkCredentials(request({ authorization: basic('ops:long enough') }, 'GET'), withCredentials),
    ).toBeUndefined();
    for (const authorization of [
      basic('ops:long enoug'),
      basic('ops:long enough '),
      basic('Ops:long enough'),
      'Bearer x',
      '',
    ]) {
      expect(checkCredentials(request({ authorization }, 'GET'), withCredentials)).toMatchObject({ status: 401 });
    }
  });

  it('without credentials, answers only to loopback Host names', () => {
    expect(checkCredentials(request({ host: '127.0.0.1:3000' }, 'GET'), open)).toBeUndefined();
    expect(checkCredentials(request({ host: 'localhost:3000' }, 'GET'), open)).toBeUndefined();
    expect(checkCredentials(request({ host: 'evil.example:3000' }, 'GET'), open)).toMatchObject({ status: 421 });
    expect(checkCredentials(request({}, 'GET'), open)).toMatchObject({ status: 421 });
  });

  it('lets a write through only from the same origin, and never in read-only mode', () => {
    const host = { host: '127.0.0.1:3000' };
    expect(checkWrite(request({ ...host, 'sec-fetch-site': 'same-origin' }), open)).toBeUndefined();
    expect(checkWrite(request({ ...host, origin: 'http://127.0.0.1:3000' }), open)).toBeUndefined();
    expect(
      checkWrite(request({ ...host, 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:3000' }), open),
    ).toMatchObject({ status: 403 });
    expect(checkWrite(request({ ...host, origin: 'http://127.0.0.1:3001' }), open)).toMatchObject({ status: 403 });
    expect(checkWrite(request({ ...host, origin: 'null' }), open)).toMatchObject({ status: 403 });
    expect(checkWrite(request(host), open)).toMatchObject({
      status: 403,
      message: 'write refused: the request names no Origin',
    });
    expect(
      checkWrite(request({ ...host, 'sec-fetch-site': 'same-origin' }), { ...open, readOnly: true }),
    ).toMatchObject({ status: 403, message: expect.stringMatching(/read-only/) });
  });

  it('issues a form token only the server can make: the same for every replica sharing the password', () => {
    const a = createCsrfTokens(withCredentials);
    const b = createCsrfTokens(withCredentials);
    expect(a.token).toBe(b.token);
    expect(a.verify(b.token)).toBe(true);
    expect(a.verify(`${a.token}x`)).toBe(false);
    expect(a.verify(undefined)).toBe(false);
    expect(
      createCsrfTokens({ ...withCredentials, credentials: { user: 'ops', password: 'another one' } }).token,
    ).not.toBe(a.token);
    // Without a password, each process keys its tokens with a secret of its own.
    expect(createCsrfTokens(open).token).not.toBe(createCsrfTokens(open).token);
  });
});

describe('the /backfills page', () => {
  const status: BackfillStatus = {
    id: '7',
    request: { kind: 'day', from: '2024-08-01', to: '2024-08-10', force: false, via: 'html', details: false },
    state: 'active',
    createdAt: new Date('2026-11-27T09:00:00Z'),
    finishedAt: undefined,
    done: 4,
    total: 10,
    counts: { skipped: 1, loaded: 2, empty: 0, not_modified: 0, failed: 1, cancelled: 0 },
    failed: [{ key: '2024-08-05', error: 'layout changed: <script>alert(1)</script>' }],
    papers: undefined,
    error: undefined,
    cancelRequested: false,
    secondsLeft: 18,
  };

  it('shows progress, counts, failed keys (escaped) and a cancel button with the form token', () => {
    const page = renderBackfillsPage({
      backfills: [status],
      csrfToken: 'tok"en',
      readOnly: false,
      maxKeys: 1000,
      form: { from: '"><b>' },
    });
    expect(page).toContain('aria-valuenow="40"');
    expect(page).toContain('4/10 keys done (40%)');
    expect(page).toContain(
      '<span class="chip loaded">loaded 2</span><span class="chip skipped">skipped (already loaded) 1</span><span class="chip failed">failed 1</span>',
    );
    expect(page).toContain('layout changed: &#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('value="&#34;&#62;&#60;b&#62;"');
    expect(page).toContain(
      '<form method="post" action="/backfills/7/cancel"><input type="hidden" name="csrf" value="tok&#34;en">',
    );
    expect(page).toContain('data-running="true"');
    expect(page).toContain('#7 day 2024-08-01 → 2024-08-10 via HTML pages');
    expect(page).toContain('about <span class="eta">18 s</span> left');
  });

  it("states what a year of days takes at each bucket's pace, and offers both transports with the API first", () => {
    const budgets = [
      {
        upstream: 'hf',
        bucket: 'pages' as const,
        policy: { quota: 100, windowMs: 300_000 },
        remaining: undefined,
        resetAt: undefined,
        pausedUntil: undefined,
      },
      {
        upstream: 'hf',
        bucket: 'api' as const,
        policy: { quota: 500, windowMs: 300_000 },
        remaining: undefined,
        resetAt: undefined,
        pausedUntil: undefined,
      },
    ];
    const page = renderBackfillsPage({ backfills: [], budgets, csrfToken: 'token', readOnly: false, maxKeys: 1000 });
    // 365 requests spaced 300 s / 499 apart, and 300 s / 99 apart.
    expect(page).toContain(
      'API: 500 requests per 5 min, a year of days ≈ 3 min 39 s; HTML pages: 100 requests per 5 min, a year of days ≈ 18 min 26 s.',
    );
    expect(page).toMatch(
      /<select name="via" id="via"><option value="api" selected>[^<]+<\/option><option value="html">/,
    );
  });

  it('in read-only mode has neither the form nor cancel buttons', () => {
    const page = renderBackfillsPage({ backfills: [status], csrfToken: 'token', readOnly: true, maxKeys: 1000 });
    expect(page).not.toContain('<form');
    expect(page).not.toContain('name="csrf"');
    expect(page).toContain('Read-only mode');
  });
});
