import { beforeAll, describe, expect, it } from 'vitest';
import { dayDigest } from '../../src/domain/digest-key.ts';
import { PARSER_VERSION } from '../../src/domain/parse-digest.ts';
import { ingestDigest } from '../../src/stages/ingest-digest.ts';
import { ingestSuite } from '../support/ingest-suite.ts';
import { readFixture } from '../support/upstream-server.ts';

const capture = readFixture('hf-html/hf-papers-date-2024-08-01.html');
const ETAG = '"capture-2024-08-01"';

describe('ingestDigest: conditional requests and unchanged pages', () => {
  const suite = ingestSuite();
  const { hf } = suite;

  beforeAll(async () => {
    // Answers like a CDN: 304 when the client already holds this ETag.
    hf.route('/papers/date/2024-08-01', (request, response) => {
      if (request.headers['if-none-match'] === ETAG) {
        response.writeHead(304, { etag: ETAG }).end();
        return;
      }
      response.writeHead(200, {
        etag: ETAG,
        'last-modified': 'Thu, 01 Aug 2024 23:00:00 GMT',
        'content-length': String(capture.length),
      });
      response.end(capture);
    });
    // The same page without validators: only the content hash can tell it is unchanged.
    hf.route('/papers/date/2024-08-02', { body: capture });
  });

  it('sends the stored ETag and records a 304 as not_modified without touching papers', async () => {
    const first = await ingestDigest(suite.deps, dayDigest('2024-08-01'));
    expect(first).toMatchObject({ outcome: 'loaded', paperCount: 13 });
    const before = await suite.pool.query(`select id, xmin::text from papers order by id`);

    const second = await ingestDigest(suite.deps, dayDigest('2024-08-01'));
    expect(second).toMatchObject({ outcome: 'not_modified', httpStatus: 304, paperCount: 13 });
    const requests = hf.requestsTo('/papers/date/2024-08-01');
    expect(requests[0]!.headers['if-none-match']).toBeUndefined();
    expect(requests[1]!.headers['if-none-match']).toBe(ETAG);
    expect(requests[1]!.headers['if-modified-since']).toBe('Thu, 01 Aug 2024 23:00:00 GMT');
    expect((await suite.pool.query(`select id, xmin::text from papers order by id`)).rows).toEqual(before.rows);

    const { rows } = await suite.pool.query(
      `select outcome, http_status, etag, content_sha256 is not null as has_sha, parser_version, duration_ms >= 0 as timed
       from digest_fetches where key = '2024-08-01' order by id`,
    );
    expect(rows).toEqual([
      { outcome: 'loaded', http_status: 200, etag: ETAG, has_sha: true, parser_version: PARSER_VERSION, timed: true },
      {
        outcome: 'not_modified',
        http_status: 304,
        etag: ETAG,
        has_sha: true,
        parser_version: PARSER_VERSION,
        timed: true,
      },
    ]);
  });

  it('with force, fetches unconditionally and re-parses', async () => {
    const forced = await ingestDigest(suite.deps, dayDigest('2024-08-01'), { force: true });
    expect(forced).toMatchObject({
      outcome: 'loaded',
      httpStatus: 200,
      counts: { inserted: 0, updated: 0, unchanged: 13 },
    });
    expect(hf.requestsTo('/papers/date/2024-08-01').at(-1)!.headers['if-none-match']).toBeUndefined();
  });

  it('recognises unchanged bytes by sha256 when the server sends no validators', async () => {
    expect(await ingestDigest(suite.deps, dayDigest('2024-08-02'))).toMatchObject({
      outcome: 'loaded',
      counts: { unchanged: 13 },
    });
    expect(await ingestDigest(suite.deps, dayDigest('2024-08-02'))).toMatchObject({
      outcome: 'not_modified',
      httpStatus: 200,
    });
    const { rows } = await suite.pool.query(
      `select count(distinct content_sha256)::int as n from digest_fetches where key = '2024-08-02'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it('re-parses unchanged bytes when the parser version differs from the one that loaded them', async () => {
    await suite.pool.query(`update digest_fetches set parser_version = parser_version - 1 where key = '2024-08-02'`);
    expect(await ingestDigest(suite.deps, dayDigest('2024-08-02'))).toMatchObject({ outcome: 'loaded' });
  });
});
