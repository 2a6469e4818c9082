import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

/** The problems loadConfig reports for an environment (none when it loads). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.hf).toEqual({
      baseUrl: 'https://huggingface.co',
      token: undefined,
      transport: 'html',
      // Hugging Face's anonymous tier: HTML pages 100, the API 500 per 5 minutes.
      budgets: {
        pages: { quota: 100, windowMs: 300_000, explicit: false },
        api: { quota: 500, windowMs: 300_000, explicit: false },
      },
    });
    expect(config.github).toEqual({ apiUrl: 'https://api.github.com', token: undefined });
    expect(config.dataDir).toBe(path.resolve('.paperboy'));
    expect(config.logLevel).toBe('info');
    expect(config.http.userAgent).toMatch(/^paperboy\/\d+\.\d+\.\d+ \(\+https?:\/\/.+\)$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('gives each Hugging Face bucket its budget by tier, each overridable on its own', () => {
    expect(loadConfig({ HF_TOKEN: 'hf_x' }).hf.budgets).toEqual({
      pages: { quota: 200, windowMs: 300_000, explicit: false },
      api: { quota: 1_000, windowMs: 300_000, explicit: false },
    });
    expect(loadConfig({ PAPERBOY_HF_API_RATE_MAX: '300' }).hf.budgets).toEqual({
      pages: { quota: 100, windowMs: 300_000, explicit: false },
      api: { quota: 300, windowMs: 300_000, explicit: true },
    });
    expect(loadConfig({ HF_TOKEN: 'hf_x', PAPERBOY_HF_PAGES_RATE_WINDOW_MS: '600000' }).hf.budgets.pages).toEqual({
      quota: 200,
      windowMs: 600_000,
      explicit: true,
    });
  });

  it('refuses the single Hugging Face budget of earlier versions, naming the variables that replaced it', () => {
    expect(() => loadConfig({ PAPERBOY_HF_RATE_MAX: '500', PAPERBOY_HF_RATE_WINDOW_MS: '300000' })).toThrow(
      ConfigError,
    );
    expect(problemsOf({ PAPERBOY_HF_RATE_MAX: '500', PAPERBOY_HF_RATE_WINDOW_MS: '300000' })).toEqual([
      expect.stringMatching(
        /^PAPERBOY_HF_RATE_MAX: no longer read: .*PAPERBOY_HF_PAGES_RATE_MAX and\/or PAPERBOY_HF_API_RATE_MAX/,
      ),
      expect.stringMatching(/^PAPERBOY_HF_RATE_WINDOW_MS: no longer read: .*PAPERBOY_HF_PAGES_RATE_WINDOW_MS/),
    ]);
    expect(() => loadConfig({ PAPERBOY_HF_API_RATE_MAX: '0' })).toThrow(/PAPERBOY_HF_API_RATE_MAX/);
  });

  it('checks cron patterns, intervals and the time zone when it reads them, and reports every bad one at once', () => {
    expect(problemsOf({ PAPERBOY_SCHEDULES: '{"refetch-recent":"bad cron"}' })).toEqual([
      expect.stringMatching(/^PAPERBOY_SCHEDULES: refetch-recent: "bad cron" is not a cron pattern/),
    ]);
    expect(problemsOf({ PAPERBOY_TZ: 'Mars/Phobos' })).toEqual([
      'PAPERBOY_TZ: not a time zone: an IANA name such as Europe/Paris, or UTC',
    ]);
    expect(
      problemsOf({
        PAPERBOY_TZ: 'Mars/Phobos',
        PAPERBOY_SCHEDULES: JSON.stringify({
          trending: 'every:0',
          periods: 'every:-5',
          searches: '61 * * * *',
          hourly: '0 * * * *',
        }),
      }),
    ).toEqual([
      'PAPERBOY_TZ: not a time zone: an IANA name such as Europe/Paris, or UTC',
      'PAPERBOY_SCHEDULES: trending: "every:0" is not every:<milliseconds> with a whole number of at least 1',
      'PAPERBOY_SCHEDULES: periods: "every:-5" is not every:<milliseconds> with a whole number of at least 1',
      expect.stringMatching(/^PAPERBOY_SCHEDULES: searches: "61 \* \* \* \*" is not a cron pattern/),
      expect.stringMatching(/^PAPERBOY_SCHEDULES: unknown schedule "hourly"/),
    ]);
    // Good ones pass: cron in a real zone, intervals, removals.
    const config = loadConfig({
      PAPERBOY_TZ: 'Europe/Paris',
      PAPERBOY_SCHEDULES: JSON.stringify({ trending: 'every:60000', periods: '15 2 * * 1', searches: null }),
    });
    expect(config.service).toMatchObject({
      tz: 'Europe/Paris',
      schedules: { trending: 'every:60000', periods: '15 2 * * 1', searches: null },
    });
  });

  it('reads every variable and strips trailing slashes from base URLs', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/paperboy',
      REDIS_URL: 'redis://cache:6379',
      HF_BASE_URL: 'http://127.0.0.1:8080/',
      GITHUB_API_URL: 'http://127.0.0.1:8081//',
      GITHUB_TOKEN: 'ghp_x',
      HF_TOKEN: 'hf_x',
      PAPERBOY_DATA_DIR: '/var/lib/paperboy',
      PAPERBOY_HF_TRANSPORT: 'api',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u:p@db:5432/paperboy',
      redisUrl: 'redis://cache:6379',
      dataDir: '/var/lib/paperboy',
      logLevel: 'debug',
      hf: { baseUrl: 'http://127.0.0.1:8080', token: 'hf_x', transport: 'api' },
      github: { apiUrl: 'http://127.0.0.1:8081', token: 'ghp_x' },
    });
  });

  it('gives the embedded Postgres a fixed port, not 5432, and refuses one that is not a port', () => {
    expect(loadConfig({}).embeddedPostgresPort).toBe(54329);
    expect(loadConfig({ PAPERBOY_EMBEDDED_PG_PORT: '55432' }).embeddedPostgresPort).toBe(55432);
    for (const bad of ['0', '65536', 'auto', '5432.5']) {
      expect(problemsOf({ PAPERBOY_EMBEDDED_PG_PORT: bad })).toEqual([
        'PAPERBOY_EMBEDDED_PG_PORT: must be a TCP port from 1 to 65535',
      ]);
    }
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', REDIS_URL: '  ', LOG_LEVEL: '' })).toMatchObject({
      databaseUrl: undefined,
      redisUrl: undefined,
      logLevel: 'info',
    });
  });

  it('reports every bad variable at once, naming each', () => {
    let caught: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', REDIS_URL: 'http://x', HF_BASE_URL: 'ftp://x', LOG_LEVEL: 'loud' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'HF_BASE_URL',
      'LOG_LEVEL',
      'REDIS_URL',
    ]);
    expect((caught as ConfigError).message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });
});

describe('loadConfig: the dashboard and backfills', () => {
  it('has no credentials, is writable and allows 1000 keys per backfill by default', () => {
    const config = loadConfig({});
    expect(config.dashboard).toEqual({ host: '127.0.0.1', port: 3000, credentials: undefined, readOnly: false });
    expect(config.service.backfillMaxKeys).toBe(1000);
  });

  it('reads credentials, read-only mode and the backfill limit', () => {
    const config = loadConfig({
      DASHBOARD_USER: 'ops',
      DASHBOARD_PASSWORD: 'long enough',
      DASHBOARD_READ_ONLY: 'yes',
      PAPERBOY_BACKFILL_MAX_KEYS: '50',
    });
    expect(config.dashboard).toMatchObject({ credentials: { user: 'ops', password: 'long enough' }, readOnly: true });
    expect(config.service.backfillMaxKeys).toBe(50);
    expect(loadConfig({ DASHBOARD_READ_ONLY: '0' }).dashboard.readOnly).toBe(false);
  });

  it('refuses half a set of credentials, a short password and a read-only value that is not a boolean, all at once', () => {
    let error: unknown;
    try {
      loadConfig({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'short', DASHBOARD_READ_ONLY: 'maybe' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('DASHBOARD_PASSWORD: must be at least 8 characters');
    expect((error as ConfigError).message).toContain('DASHBOARD_READ_ONLY: must be true or false');
    expect(() => loadConfig({ DASHBOARD_USER: 'ops' })).toThrow(/DASHBOARD_USER and DASHBOARD_PASSWORD: set both/);
    expect(() => loadConfig({ DASHBOARD_PASSWORD: 'long enough' })).toThrow(
      /DASHBOARD_USER and DASHBOARD_PASSWORD: set both/,
    );
  });

  it('reads the feed secret, at least 32 characters', () => {
    const secret = 'x'.repeat(32);
    expect(loadConfig({ PAPERBOY_FEED_SECRET: secret }).dashboard.feedSecret).toBe(secret);
    expect(loadConfig({ PAPERBOY_FEED_SECRET: ' ' }).dashboard.feedSecret).toBeUndefined();
    expect(() => loadConfig({ PAPERBOY_FEED_SECRET: 'x'.repeat(31) })).toThrow(
      /PAPERBOY_FEED_SECRET: must be at least 32 characters/,
    );
  });
});

describe('loadConfig: page-store retention', () => {
  it('keeps 30 days of page bodies by default, or the whole number of days set', () => {
    expect(loadConfig({}).pageRetentionDays).toBe(30);
    expect(loadConfig({ PAPERBOY_PAGE_RETENTION_DAYS: '7' }).pageRetentionDays).toBe(7);
    expect(loadConfig({ PAPERBOY_PAGE_RETENTION_DAYS: ' ' }).pageRetentionDays).toBe(30);
  });

  it('refuses a retention that is not a whole number from 1 to 3650, in the one configuration message', () => {
    for (const value of ['0', '3651', '2.5', 'a month', '-1']) {
      expect(() => loadConfig({ PAPERBOY_PAGE_RETENTION_DAYS: value, LOG_LEVEL: 'loud' })).toThrow(
        /PAPERBOY_PAGE_RETENTION_DAYS: must be a whole number of days from 1 to 3650[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PAPERBOY_PAGE_RETENTION_DAYS: must be a whole number of days from 1 to 3650/,
      );
    }
  });
});
