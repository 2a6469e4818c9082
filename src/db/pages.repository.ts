import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import type { PgQueryable } from './queryable.ts';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

/**
 * Keeps the bytes of a fetched page, brotli-compressed (quality 5: most of
 * the gain for a fraction of the CPU of 11), once per distinct sha256.
 * `stored_at` is when a fetch last brought these bytes.
 */
export async function storePageBody(db: PgQueryable, sha256: string, contentType: string, body: Buffer): Promise<void> {
  // Compressing costs far more than this lookup; forced refetches and re-parses bring bytes already kept.
  // Bytes fetched again count as stored now: retention keeps recent bodies, and the fetch about to reference them
  // must not lose them to a prune running meanwhile (see retention.repository.ts).
  const { rowCount } = await db.query('update page_bodies set stored_at = now() where sha256 = $1', [sha256]);
  if (rowCount) return;
  const compressed = await compress(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });
  await db.query(
    `insert into page_bodies (sha256, content_type, encoding, body, bytes)
     values ($1, $2, 'br', $3, $4)
     on conflict (sha256) do nothing`,
    [sha256, contentType, compressed, body.length],
  );
}

interface PageBodyRow {
  body: Buffer;
  encoding: string;
  content_type: string;
}

/** The stored bytes of a page, or undefined when they were never kept. */
export async function loadPageBody(
  db: PgQueryable,
  sha256: string,
): Promise<{ body: Buffer; contentType: string } | undefined> {
  const { rows } = await db.query<PageBodyRow>(
    'select body, encoding, content_type from page_bodies where sha256 = $1',
    [sha256],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { body: row.encoding === 'br' ? await decompress(row.body) : row.body, contentType: row.content_type };
}

interface RelationSizeRow {
  bytes: string;
}

/** Bytes the page store takes on disk (compressed bodies, TOAST and index included). */
export async function findPageStoreBytes(db: PgQueryable): Promise<number> {
  const { rows } = await db.query<RelationSizeRow>(`select pg_total_relation_size('page_bodies') as bytes`);
  return Number(rows[0]?.bytes ?? 0);
}
